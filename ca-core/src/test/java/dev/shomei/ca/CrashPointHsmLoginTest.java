package dev.shomei.ca;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.ca.CrashScenario.Flow;
import dev.shomei.ca.fault.CrashPoints;
import dev.shomei.pkcs11.Pkcs11Slots;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fault suite's HSM fault during issuance (docs/faults.md): while a batch of issue orders is being signed, the
 * HSM loses the login. After the batch's first certificate is signed, another session on the token calls {@code
 * C_Logout}: PKCS#11 login state is per token, so every session of the CA loses it, as when the HSM restarts. Run
 * through {@code ca orders import} and through the pull loop ({@code ca orders pull --once}, against an RA over
 * mutual TLS).
 *
 * <p>Two kinds of loss: {@link Loss#LOGIN_LOST}, after which the signer logs in again and the batch completes; and
 * {@link Loss#LOGIN_REFUSED}, where the security officer then logs in from another session (another application
 * holding the HSM), so the signer's one recovery (a new login) is refused and the batch fails, naming the cause,
 * with its intents committed and nothing of it recorded; the officer logs out and the next run (the next pull pass) re-signs the intents
 * (same serials, same bytes) and answers every order. Either way: no certificate lost or issued twice, every intent resolved and
 * every certificate accounted for by exactly one intent (the HSM's signatures reconcile), each order answered once
 * as the RA sees it, and the audit log verifies ({@link CrashScenario#assertInvariants}).
 *
 * <p>Zone: tests only.
 */
@Tag("fault")
class CrashPointHsmLoginTest {

    private static final List<String> SUMMARY = new CopyOnWriteArrayList<>();

    /** How the login is lost: the token logged out; or logged out and held by its security officer, so a new login is refused. */
    enum Loss { LOGIN_LOST, LOGIN_REFUSED }

    static Stream<Arguments> losses() {
        return Stream.of(Arguments.of(Flow.ORDERS, Loss.LOGIN_LOST), Arguments.of(Flow.PULL, Loss.LOGIN_LOST),
                Arguments.of(Flow.ORDERS, Loss.LOGIN_REFUSED), Arguments.of(Flow.PULL, Loss.LOGIN_REFUSED));
    }

    @ParameterizedTest(name = "HSM {1} mid-batch ({0})")
    @MethodSource("losses")
    void aLoginLostWhileABatchIsSignedLosesAndDuplicatesNothing(Flow flow, Loss loss) throws Exception {
        String name = "hsm_" + flow.name().toLowerCase() + (loss == Loss.LOGIN_LOST ? "_lost" : "_refused");
        try (CrashScenario s = CrashScenario.create(name)) {
            if (flow == Flow.PULL) {
                s.ra();
            }
            Path module = s.f.token.module();
            long slot = Pkcs11Slots.slotOf(module, s.f.token.label());
            AtomicInteger reached = new AtomicInteger();
            AtomicBoolean lost = new AtomicBoolean();
            List<String> signedBefore = new CopyOnWriteArrayList<>();
            CrashPoints.install((p, detail) -> {
                if (p.equals(CrashPoints.DURING_HSM_SIGN) && reached.incrementAndGet() == 2) {
                    logoutEveryone(module, slot);
                    if (loss == Loss.LOGIN_REFUSED) {
                        securityOfficer(module, slot, s.f.token.soPin(), true);
                    }
                    lost.set(true);
                }
                if (p.equals(CrashPoints.AFTER_HSM_SIGN) && !detail.startsWith("crl ")) {
                    signedBefore.add(detail);
                }
            });
            CaCommand.Result first;
            try {
                first = s.ca(s.command(flow));
            } finally {
                CrashPoints.clear();
            }
            assertThat(lost).as("the login was really lost while the batch was signed").isTrue();
            if (loss == Loss.LOGIN_REFUSED) {
                assertThat(first.exit()).as("the signer cannot log in again: the batch fails " + first.out()
                        + first.err()).isNotZero();
                // The other application lets go of the HSM.
                securityOfficer(module, slot, s.f.token.soPin(), false);
            }
            String outcome;
            if (first.exit() == 0) {
                outcome = "the batch completed (signer logged in again)";
                assertThat(signedBefore).as("the batch was signed whole").hasSize(1);
            } else {
                String said = first.out() + first.err();
                outcome = "the batch failed: " + said.lines().filter(l -> l.contains("HSM") || l.contains("CKR_")
                        || l.contains("could not be executed")).findFirst().orElse(said.lines().findFirst().orElse(""));
                assertThat(said).as("a clear error naming the cause").containsAnyOf("CKR_", "HSM", "login", "session");
                if (flow == Flow.PULL) {
                    assertThat(said).contains("the next pass tries again");
                }
                assertThat(s.f.count("certificate")).as("nothing of the failed batch is recorded").isEqualTo(1);
                assertThat(s.pendingIntents()).as("the batch's intents wait for the next run").isEqualTo(CrashScenario.ISSUES);
            }
            long pending = s.pendingIntents();
            // The rerun: a new process (the next pull pass): intents are recovered, every order answered.
            CaCommand.Result again = s.ca(s.command(flow));
            if (flow == Flow.ORDERS && again.exit() == 1 && again.err().contains("already executed")) {
                again = s.ca("orders", "result", "--bundle-id", "fault-bundle", "--out", s.result.toString());
            }
            assertThat(again.exit()).as("the rerun completes: " + again.out() + again.err()).isZero();
            s.assertInvariants(flow);
            long resigned = s.count("SELECT count(*) FROM signing_intent_resolution WHERE outcome = 're-signed'");
            if (first.exit() != 0) {
                assertThat(resigned).as("the next run re-signed the batch from its intents").isEqualTo(CrashScenario.ISSUES);
            }
            SUMMARY.add(String.format("%-6s HSM %s before the 2nd signature of a batch of %d: %s;"
                    + " pending intents after it=%d; rerun: invariants hold, re-signed=%d", flow, loss, CrashScenario.ISSUES,
                    outcome, pending, resigned));
        }
    }

    /** Logs the token out from a session of its own: every session of the token loses its login (PKCS#11 §5.6). */
    private static void logoutEveryone(Path module, long slot) {
        try {
            var m = Pkcs11Slots.class.getDeclaredMethod("module", Path.class);
            m.setAccessible(true);
            Object p11 = m.invoke(null, module);
            long session = (long) p11.getClass().getMethod("C_OpenSession", long.class, long.class, Object.class,
                    Class.forName("sun.security.pkcs11.wrapper.CK_NOTIFY")).invoke(p11, slot, 4L, null, null);
            p11.getClass().getMethod("C_Logout", long.class).invoke(p11, session);
            // The token says so: this session is now public (CKS_RO_PUBLIC_SESSION), as every other one of the token.
            Object info = p11.getClass().getMethod("C_GetSessionInfo", long.class).invoke(p11, session);
            long state = info.getClass().getField("state").getLong(info);
            p11.getClass().getMethod("C_CloseSession", long.class).invoke(p11, session);
            assertThat(state).as("the token is logged out (PKCS#11 session state)").isEqualTo(0L);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("cannot log the token out: " + e, e);
        }
    }

    /** The security officer's session while it holds the token. */
    private static long soSession = -1;

    /**
     * Logs the token in as its security officer from a session of its own, or out again: while the SO is logged in,
     * a user login is refused (CKR_USER_ANOTHER_ALREADY_LOGGED_IN, PKCS#11 §5.6), as when another application holds
     * the HSM.
     */
    private static void securityOfficer(Path module, long slot, String soPin, boolean in) {
        try {
            var m = Pkcs11Slots.class.getDeclaredMethod("module", Path.class);
            m.setAccessible(true);
            Object p11 = m.invoke(null, module);
            if (in) {
                soSession = (long) p11.getClass().getMethod("C_OpenSession", long.class, long.class, Object.class,
                        Class.forName("sun.security.pkcs11.wrapper.CK_NOTIFY")).invoke(p11, slot, 6L, null, null);
                // The batch signs on two threads: the other one may have logged the user in again (its recovery)
                // between the logout and this login. Log out and try again until the officer holds the token.
                for (int attempt = 1; ; attempt++) {
                    try {
                        p11.getClass().getMethod("C_Login", long.class, long.class, char[].class)
                                .invoke(p11, soSession, 0L, soPin.toCharArray()); // CKU_SO
                        break;
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        if (attempt >= 50 || !String.valueOf(e.getCause()).contains("CKR_USER_ANOTHER_ALREADY_LOGGED_IN")) {
                            throw e;
                        }
                        try {
                            p11.getClass().getMethod("C_Logout", long.class).invoke(p11, soSession);
                        } catch (java.lang.reflect.InvocationTargetException notLoggedIn) {
                            // logged out in between: fine, log in now
                        }
                    }
                }
            } else {
                p11.getClass().getMethod("C_Logout", long.class).invoke(p11, soSession);
                p11.getClass().getMethod("C_CloseSession", long.class).invoke(p11, soSession);
            }
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("cannot log the security officer " + (in ? "in" : "out") + ": " + e, e);
        }
    }

    @AfterAll
    static void printSummary() {
        System.out.println("fault suite (HSM): " + SUMMARY.size() + " fault(s) exercised");
        SUMMARY.stream().sorted().forEach(l -> System.out.println("  " + l));
    }
}
