package dev.shomei.ca;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.ca.CrashScenario.Flow;
import dev.shomei.ca.CrashScenario.Mode;
import dev.shomei.ca.fault.CrashPoints;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/**
 * The fault suite's fixed slice that runs with every build (the whole suite: {@code bin/test-faults},
 * {@link CrashPointSuiteTest}; docs/faults.md). Crashes that each prove something the others do not:
 * a certificate signed in the HSM and not yet recorded is re-signed from its intent, not lost and not issued
 * twice (in-process crash, then PostgreSQL killed too); a result the RA took before the pull loop recorded it
 * delivered is posted again and the RA sees each order answered once; a CRL number taken before a crash is
 * skipped, never reused; and a real SIGKILL in the middle of writing a CRL file leaves the previous file whole.
 */
class CrashPointSliceTest {

    @Test
    void certificateSignedButNotRecordedIsResignedFromItsIntentAfterProcessAndDatabaseCrash() throws Exception {
        try (CrashScenario s = CrashScenario.create("slice_sign")) {
            CrashScenario.Outcome o = s.crashAndRerun(Flow.ORDERS, CrashPoints.AFTER_HSM_SIGN, 1, Mode.BOTH);
            assertThat(s.signedBeforeCrash).as("the HSM signed every issue order's certificate before the crash")
                    .hasSize(CrashScenario.ISSUES);
            assertThat(o.state()).contains("pending-intents=" + CrashScenario.ISSUES);
            s.assertInvariants(Flow.ORDERS);
            // The serials signed before the crash are the serials issued: re-signed from the stored bytes.
            try (var c = s.f.db.connect(); var st = c.createStatement();
                 var rs = st.executeQuery("SELECT count(*) FROM signing_intent_resolution WHERE outcome = 're-signed'")) {
                rs.next();
                assertThat(rs.getLong(1)).isEqualTo(CrashScenario.ISSUES);
            }
        }
    }

    /**
     * Found by the fault suite: an Error between the first audit append and the commit ran the batch's clean-up,
     * which committed the open transaction (certificates without their audit entries). Nothing of it may commit.
     */
    @Test
    void aCrashBetweenAnAuditAppendAndTheCommitCommitsNothingOfTheBatch() throws Exception {
        try (CrashScenario s = CrashScenario.create("slice_audit")) {
            CrashScenario.Outcome o = s.crashAndRerun(Flow.ORDERS, CrashPoints.DURING_AUDIT_APPEND, 1, Mode.PROCESS);
            assertThat(o.state()).as("only the setup order's certificate is recorded").startsWith("certificates=1 ");
            s.assertInvariants(Flow.ORDERS);
        }
    }

    /**
     * The pull loop: the RA took the result, then the CA process died before it recorded the result delivered (#2:
     * a pass first posts the setup bundle's result, which was imported from a file). The rerun posts it again; the
     * RA applies each order's first answer, so it sees each order answered once, with the certificates the CA
     * recorded.
     */
    @Test
    void aResultTheRaTookBeforeTheCrashIsPostedAgainAndAnsweredOnce() throws Exception {
        try (CrashScenario s = CrashScenario.create("slice_pull")) {
            CrashScenario.Outcome o = s.crashAndRerun(Flow.PULL, CrashPoints.PULL_AFTER_DELIVERY, 2, Mode.PROCESS);
            assertThat(o.state()).as("the RA had every answer before the crash")
                    .contains("ra-answered=" + (CrashScenario.ISSUES + 1)).contains("result-posts=1");
            s.assertInvariants(Flow.PULL);
            assertThat(s.ra.resultPosts("fault-bundle")).as("posted again by the rerun, applied once").isEqualTo(2);
            assertThat(s.ra.answers().values()).filteredOn(a -> a.bundleId().equals("fault-bundle"))
                    .hasSize(CrashScenario.ISSUES + 1).allMatch(a -> a.posts() == 2);
        }
    }

    @Test
    void crlNumberTakenBeforeACrashIsSkippedNeverReused() throws Exception {
        try (CrashScenario s = CrashScenario.create("slice_crl")) {
            long before = s.latestCrl();
            s.crashAndRerun(Flow.CRL, CrashPoints.AFTER_HSM_SIGN, 1, Mode.PROCESS);
            s.assertInvariants(Flow.CRL);
            assertThat(s.latestCrl()).as("the number signed before the crash is skipped").isEqualTo(before + 2);
            assertThat(s.voidReasons()).contains("CRL number " + (before + 1));
            assertThat(s.crlBeforeCrash).isNotEqualTo(Files.readAllBytes(s.crlOut));
        }
    }

    @Test
    void sigkillWhileWritingTheCrlFileLeavesThePreviousFileWhole() throws Exception {
        try (CrashScenario s = CrashScenario.create("slice_kill")) {
            long before = s.latestCrl();
            CrashScenario.Outcome o = s.crashAndRerun(Flow.CRL, CrashPoints.DURING_CRL_WRITE, 1, Mode.KILL9);
            assertThat(o.state()).as("CRL " + (before + 1) + " was committed before the kill").contains("crls=" + (before + 1));
            s.assertInvariants(Flow.CRL);
            assertThat(s.latestCrl()).isEqualTo(before + 2);
        }
    }
}
