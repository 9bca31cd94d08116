package dev.shomei.ra.testkit;

import dev.shomei.testsupport.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Where the RA's PostgreSQL time goes, statement by statement, in a benchmark's timed window: {@code pg_stat_statements}
 * (executions, time in the server, rows, buffer pages touched and dirtied, WAL records, full-page images and bytes per
 * application decided) and {@code pg_stat_wal} (the server's WAL writes and flushes). On only when the embedded server
 * was started with {@value TestDatabase#STATEMENT_STATISTICS}{@code =true} (it loads the module at start), so the
 * benchmark's usual run is not slowed by it: {@code bin/bench -pl ra-service -am -Dtest=ApplicationThroughputBenchTest
 * -Dshomei.test.pg-statement-statistics=true}.
 *
 * <p>Zone: tests only (benchmarks). Connects as the server's superuser to create the extension in the RA's database.
 */
public final class StatementAccount {

    private final TestDatabase.Database db;

    private StatementAccount(TestDatabase.Database db) {
        this.db = db;
    }

    /** Whether this run records statement statistics (see the class comment). */
    public static boolean enabled() {
        return Boolean.getBoolean(TestDatabase.STATEMENT_STATISTICS) && "embedded".equals(TestDatabase.kind());
    }

    /** Zeroes the statistics: call at the start of the timed window. */
    public static StatementAccount start(TestDatabase.Database db) throws SQLException {
        try (Connection c = TestDatabase.connectAsSuperuser(db); Statement st = c.createStatement()) {
            st.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
            st.execute("SELECT pg_stat_statements_reset()");
            st.execute("SELECT pg_stat_reset_shared('wal')");
        }
        return new StatementAccount(db);
    }

    /** Prints the {@code top} statements by time in the server, and the WAL, per application decided. */
    public void print(long decisions, int top) throws SQLException {
        double n = decisions;
        try (Connection c = TestDatabase.connectAsSuperuser(db); Statement st = c.createStatement()) {
            try (ResultSet all = st.executeQuery("SELECT sum(total_exec_time), sum(calls), sum(wal_bytes), sum(wal_fpi),"
                    + " sum(shared_blks_dirtied), sum(shared_blks_read) FROM pg_stat_statements")) {
                all.next();
                System.out.printf("BENCH   PostgreSQL per application decided, timed window (pg_stat_statements): %.3f ms"
                                + " in statements, %.1f statements, %.0f WAL bytes (%.2f full-page images), %.2f pages"
                                + " dirtied, %.2f pages read%n", all.getDouble(1) / n, all.getDouble(2) / n,
                        all.getDouble(3) / n, all.getDouble(4) / n, all.getDouble(5) / n, all.getDouble(6) / n);
            }
            try (ResultSet wal = st.executeQuery("SELECT wal_records, wal_fpi, wal_bytes, wal_write, wal_sync,"
                    + " wal_sync_time FROM pg_stat_wal")) {
                wal.next();
                double flushes = wal.getDouble(5);
                System.out.printf("BENCH   WAL (pg_stat_wal): %.1f records, %.2f full-page images, %.0f bytes per"
                                + " application; %.3f writes, %.3f flushes per application (%.2f applications per flush),"
                                + " flushes %.3f ms each%n", wal.getDouble(1) / n, wal.getDouble(2) / n,
                        wal.getDouble(3) / n, wal.getDouble(4) / n, flushes / n, flushes == 0 ? 0 : n / flushes,
                        flushes == 0 ? 0 : wal.getDouble(6) / flushes);
            }
            System.out.printf("BENCH   %8s %9s %7s %8s %8s %8s %6s  %s%n", "calls/app", "ms/app", "rows", "hit/app",
                    "dirt/app", "WAL B/app", "FPI", "statement");
            try (ResultSet r = st.executeQuery("SELECT calls, total_exec_time, rows, shared_blks_hit + local_blks_hit,"
                    + " shared_blks_dirtied, wal_bytes, wal_fpi, regexp_replace(query, '\\s+', ' ', 'g')"
                    + " FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT " + top)) {
                while (r.next()) {
                    String q = r.getString(8);
                    System.out.printf("BENCH   %8.3f %9.4f %7.2f %8.1f %8.2f %8.0f %6.3f  %s%n", r.getDouble(1) / n,
                            r.getDouble(2) / n, r.getDouble(3) / Math.max(1, r.getDouble(1)), r.getDouble(4) / n,
                            r.getDouble(5) / n, r.getDouble(6) / n, r.getDouble(7) / n,
                            q.length() > 150 ? q.substring(0, 150) + "…" : q);
                }
            }
        }
    }
}
