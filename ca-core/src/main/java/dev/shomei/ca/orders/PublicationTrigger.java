package dev.shomei.ca.orders;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * Tells the presigner's long-running loop ({@code presigner loop}, ocsp-presigner) that a publication cycle is due
 * now: a pull pass revoked certificates or issued a CRL, and the new OCSP responses and CRL should leave for the
 * repository at once instead of at the next scheduled cycle (docs/operations.md, "Revocation to the edge").
 *
 * <p>Zone: secure. The signal is a PostgreSQL {@code NOTIFY} on {@link #CHANNEL} in the CA database the presigner
 * already shares: no port, no file, nothing leaves the zone. It is sent in its own transaction after the revocations
 * and the CRL are committed, so a presigner that wakes on it sees them. A signal nobody hears (the presigner was
 * stopped) is not lost work: the presigner runs a cycle when it starts and at its interval, and the pull loop
 * signals once after its first pass.
 */
public final class PublicationTrigger {

    /** The PostgreSQL notification channel (an identifier: lower case, no quoting needed). */
    public static final String CHANNEL = "shomei_publication_due";

    private PublicationTrigger() {
    }

    /**
     * Whether a pass should start the publication cycle: it revoked something (new OCSP status), or a CRL was issued
     * after it (after a revocation, or at half the previous CRL's validity), or it is the loop's first pass (a signal
     * a crash may have cut off before is sent again).
     */
    public static boolean due(OrderPuller.Pass pass, boolean crlIssued, boolean firstPass) {
        return firstPass || crlIssued || (pass != null && pass.revoked() > 0);
    }

    /** Sends the signal, with {@code reason} as its payload (shown by the presigner; at most 7,999 bytes in PostgreSQL). */
    public static void signal(DataSource dataSource, String reason) throws SQLException {
        String payload = reason.length() > 1000 ? reason.substring(0, 1000) : reason;
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT pg_notify(?, ?)")) {
            ps.setString(1, CHANNEL);
            ps.setString(2, payload);
            ps.execute();
            // A notification is delivered when its transaction commits (PostgreSQL NOTIFY).
            if (!c.getAutoCommit()) {
                c.commit();
            }
        }
    }
}
