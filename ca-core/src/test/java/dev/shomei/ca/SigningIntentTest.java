package dev.shomei.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shomei.ca.fault.CrashPoints;
import dev.shomei.ca.issuance.CertificateIssuer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Sign after intent (docs/faults.md): an intent is committed before the HSM signs, a live process's intent is not
 * taken over by another process's recovery, and the intent records cannot be rewritten by the service.
 */
class SigningIntentTest {

    @AfterEach
    void clear() {
        CrashPoints.clear();
    }

    @Test
    void theIntentIsCommittedBeforeTheHsmSignsAndALiveIntentIsNotRecoveredByAnotherProcess() throws Exception {
        try (CaFixture f = CaFixture.create("intent", "EC-P256", "EC-P256")) {
            CertificateAuthority ca = f.ceremony();
            byte[] csr = CaFixture.csr("CN=Intent,C=JP", CaFixture.ecKey("secp256r1"));
            AtomicInteger recoveredMeanwhile = new AtomicInteger(-1);
            long[] visibleIntents = {-1};
            CrashPoints.install((point, detail) -> {
                if (!point.equals(CrashPoints.AFTER_INTENT)) {
                    return;
                }
                // Another process (its own pool) sees the committed intent, and leaves it alone: it is in flight.
                try (CertificateAuthority other = f.open()) {
                    visibleIntents[0] = pending(f);
                    recoveredMeanwhile.set(other.issuer().recoverIntents());
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            var issued = ca.issuer().issue("intent-1", csr, "subscriber-signature");
            CrashPoints.clear();
            assertThat(visibleIntents[0]).as("the intent was committed before the HSM signed").isEqualTo(1);
            assertThat(recoveredMeanwhile.get()).as("a live intent is not recovered by another process").isZero();
            assertThat(pending(f)).isZero();
            assertThat(f.count("certificate")).isEqualTo(1);
            try (Connection c = f.db.connect(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT i.serial, r.outcome FROM signing_intent i JOIN"
                         + " signing_intent_resolution r ON r.intent_id = i.id")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo(issued.serialHex());
                assertThat(rs.getString(2)).isEqualTo("recorded");
            }
        }
    }

    @Test
    void aStoppedIssuanceIsResignedWithTheSameSerialAndContent() throws Exception {
        try (CaFixture f = CaFixture.create("resign", "EC-P256", "EC-P256")) {
            f.ceremony();
            byte[] csr = CaFixture.csr("CN=Resign,C=JP", CaFixture.ecKey("secp256r1"));
            String[] signed = new String[1];
            CrashPoints.install((point, detail) -> {
                if (point.equals(CrashPoints.AFTER_HSM_SIGN)) {
                    signed[0] = detail;
                    throw new CrashScenario.SimulatedCrash(point);
                }
            });
            assertThatThrownBy(() -> f.ca.issuer().issue("resign-1", csr, "subscriber-signature"))
                    .isInstanceOf(CrashScenario.SimulatedCrash.class);
            CrashPoints.clear();
            f.ca.close();
            assertThat(f.count("certificate")).as("nothing recorded").isZero();
            assertThat(pending(f)).isEqualTo(1);
            CertificateIssuer.Issued again = f.open().issuer().issue("resign-1", csr, "subscriber-signature");
            assertThat(again.serialHex()).as("the serial signed before the crash").isEqualTo(signed[0]);
            assertThat(again.alreadyIssued()).as("answered from the recovered certificate").isTrue();
            assertThat(f.count("certificate")).isEqualTo(1);
            assertThat(pending(f)).isZero();
            assertThat(f.events().stream().filter(e -> e.startsWith("issued "))).hasSize(1);
            assertThat(f.verifyAudit().ok()).isTrue();
        }
    }

    @Test
    void theServiceCannotRewriteOrRemoveIntentsOrResolveOneTwice() throws Exception {
        try (CaFixture f = CaFixture.create("intentrecords", "EC-P256", "EC-P256")) {
            f.ceremony().issuer().issue("rec-1", CaFixture.csr("CN=Rec,C=JP", CaFixture.ecKey("secp256r1")),
                    "subscriber-signature");
            f.ca.crlIssuer().issue();
            try (Connection service = f.db.connectAsService(); Statement st = service.createStatement()) {
                for (String sql : List.of(
                        "UPDATE signing_intent SET serial = 'ff'",
                        "DELETE FROM signing_intent",
                        "TRUNCATE signing_intent CASCADE",
                        "UPDATE signing_intent_resolution SET outcome = 'void', reason = 'x'",
                        "DELETE FROM signing_intent_resolution",
                        "INSERT INTO signing_intent_resolution (intent_id, outcome, reason)"
                                + " SELECT id, 'void', 'again' FROM signing_intent LIMIT 1",
                        // A CRL number already taken cannot be taken again.
                        "INSERT INTO signing_intent (kind, issuer_label, crl_number) SELECT 'crl', issuer_label,"
                                + " crl_number FROM crl LIMIT 1")) {
                    assertThatThrownBy(() -> st.execute(sql)).as(sql).isInstanceOf(SQLException.class)
                            .hasMessageFindingMatch("permission denied|append-only|duplicate key");
                }
            }
        }
    }

    private static long pending(CaFixture f) throws SQLException {
        try (Connection c = f.db.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM signing_intent i WHERE NOT EXISTS"
                     + " (SELECT 1 FROM signing_intent_resolution r WHERE r.intent_id = i.id)")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
