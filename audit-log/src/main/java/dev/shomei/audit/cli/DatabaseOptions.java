package dev.shomei.audit.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * How the CLI reaches the log's PostgreSQL database. The password comes from a file, never from the
 * command line (where other users could see it in the process list), and is never printed.
 *
 * <p>Zone: all. Reads the password file and opens one connection.
 */
final class DatabaseOptions {

    @Option(names = "--db-url", paramLabel = "JDBC-URL", description = "e.g. jdbc:postgresql://db.internal:5432/ca")
    String url;

    @Option(names = "--db-user", paramLabel = "USER", description = "a member of shomei_audit_reader")
    String user;

    @Option(names = "--db-password-file", paramLabel = "FILE", description = "file holding the password (one line)")
    Path passwordFile;

    boolean given() {
        return url != null || user != null || passwordFile != null;
    }

    Connection connect(CommandSpec spec) {
        if (url == null || user == null) {
            throw new ParameterException(spec.commandLine(), "--db-url and --db-user are required"
                    + " (and --db-password-file unless the server needs no password)");
        }
        if (!url.startsWith("jdbc:postgresql:")) {
            throw new ParameterException(spec.commandLine(), "--db-url must be a PostgreSQL JDBC URL"
                    + " (jdbc:postgresql://host:port/database), found '" + url + "'");
        }
        Properties p = new Properties();
        p.setProperty("user", user);
        if (passwordFile != null) {
            try {
                String pw = Files.readString(passwordFile, StandardCharsets.UTF_8);
                p.setProperty("password", pw.replaceAll("[\\r\\n]+$", ""));
            } catch (IOException e) {
                throw new AuditCli.ConfigurationError("cannot read --db-password-file " + passwordFile + ": "
                        + e.getClass().getSimpleName() + " " + e.getMessage(), e);
            }
        }
        try {
            return DriverManager.getConnection(url, p);
        } catch (SQLException e) {
            throw new AuditCli.ConfigurationError("cannot connect to " + url + " as " + user + ": " + e.getMessage(), e);
        }
    }
}
