package dev.shomei.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/**
 * The database the tests run on is set up as production must be (docs/database.md): commits are durable and
 * every login needs a password.
 */
class TestDatabaseTest {

    @Test
    void theEmbeddedServerCommitsDurably() throws Exception {
        assumeTrue(TestDatabase.kind().equals("embedded"), "durability of an external server is its operator's");
        TestDatabase.Database db = TestDatabase.create("durable");
        try (Connection c = db.connectAsService(); Statement st = c.createStatement()) {
            assertThat(show(st, "fsync")).isEqualTo("on");
            assertThat(show(st, "synchronous_commit")).isEqualTo("on");
            assertThat(show(st, "full_page_writes")).isEqualTo("on");
        }
    }

    @Test
    void aLoginWithoutTheRightPasswordIsRefused() {
        assumeTrue(TestDatabase.kind().equals("embedded"), "authentication of an external server is its operator's");
        TestDatabase.Database db = TestDatabase.create("auth");
        for (String user : new String[] {"postgres", db.user(), db.serviceUser()}) {
            assertThatThrownBy(() -> DriverManager.getConnection(db.jdbcUrl(), user, null).close()).as(user)
                    .isInstanceOf(SQLException.class).hasMessageContaining("password");
            assertThatThrownBy(() -> DriverManager.getConnection(db.jdbcUrl(), user, "wrong").close()).as(user)
                    .isInstanceOf(SQLException.class).hasMessageContaining("password authentication failed");
        }
    }

    @Test
    void theServiceRoleIsNeitherOwnerNorSuperuser() throws Exception {
        TestDatabase.Database db = TestDatabase.create("roles");
        try (Connection c = db.connectAsService(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT rolsuper, rolcreaterole, pg_has_role(current_user, 'shomei_service',"
                     + " 'member'), (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database())"
                     + " FROM pg_roles WHERE rolname = current_user")) {
            rs.next();
            assertThat(rs.getBoolean(1)).isFalse();
            assertThat(rs.getBoolean(2)).isFalse();
            assertThat(rs.getBoolean(3)).isTrue();
            assertThat(rs.getString(4)).isEqualTo(db.user()).isNotEqualTo(db.serviceUser());
        }
    }

    private static String show(Statement st, String setting) throws SQLException {
        try (ResultSet rs = st.executeQuery("SHOW " + setting)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
