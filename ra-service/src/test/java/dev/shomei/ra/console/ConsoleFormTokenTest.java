package dev.shomei.ra.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shomei.audit.Actor;
import dev.shomei.ra.problem.RaProblem;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * The console's form tokens (cross-site request forgery): valid only for the certificate and the act they were
 * issued for, within their lifetime, and never for a request a browser marks as cross-site. And the choice of
 * language.
 */
class ConsoleFormTokenTest {

    static final Actor SATO = Actor.person("RA Officer Sato", "mTLS client certificate SHA-256 " + "a".repeat(64)
            + " issued by officer CA SHA-256 " + "c".repeat(64));
    static final Actor TANAKA = Actor.person("RA Officer Tanaka", "mTLS client certificate SHA-256 " + "b".repeat(64)
            + " issued by officer CA SHA-256 " + "c".repeat(64));
    static final String ACT = "decide application 5b0e9a1e-58a3-4c7e-9a53-1f1a7e1f0a01";

    /** A clock the test moves. */
    static final class MovableClock extends Clock {
        Instant now = Instant.parse("2026-12-01T09:00:00Z");

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @Test
    void aTokenWorksForItsCertificateAndActOnly() {
        ConsoleAccess access = new ConsoleAccess(new MovableClock());
        String token = access.formToken(SATO, ACT);

        assertThatCode(() -> access.checkForm("same-origin", "https://localhost:8443", "localhost:8443", SATO, ACT,
                token)).doesNotThrowAnyException();
        assertRefused(() -> access.checkForm("same-origin", null, "localhost:8443", TANAKA, ACT, token),
                "not issued to this certificate");
        assertRefused(() -> access.checkForm("same-origin", null, "localhost:8443", SATO,
                "decide application 00000000-0000-0000-0000-000000000000", token), "not issued to this certificate");
        assertRefused(() -> access.checkForm(null, null, null, SATO, ACT, null), "no token");
        assertRefused(() -> access.checkForm(null, null, null, SATO, ACT, "x" + token.substring(1)), "token");
        // Another process's key (a restart) does not accept it either.
        assertRefused(() -> new ConsoleAccess(new MovableClock()).checkForm(null, null, null, SATO, ACT, token),
                "not issued");
    }

    @Test
    void aCrossSiteRequestIsRefusedEvenWithAValidToken() {
        ConsoleAccess access = new ConsoleAccess(new MovableClock());
        String token = access.formToken(SATO, ACT);

        assertRefused(() -> access.checkForm("cross-site", null, "localhost:8443", SATO, ACT, token), "another site");
        assertRefused(() -> access.checkForm("same-site", null, "localhost:8443", SATO, ACT, token), "another site");
        assertRefused(() -> access.checkForm(null, "https://evil.example", "localhost:8443", SATO, ACT, token),
                "evil.example");
    }

    @Test
    void aTokenExpires() {
        MovableClock clock = new MovableClock();
        ConsoleAccess access = new ConsoleAccess(clock);
        String token = access.formToken(SATO, ACT);

        clock.now = clock.now.plus(ConsoleAccess.TOKEN_LIFETIME).minusSeconds(1);
        assertThatCode(() -> access.checkForm(null, null, null, SATO, ACT, token)).doesNotThrowAnyException();
        clock.now = clock.now.plus(Duration.ofSeconds(2));
        assertRefused(() -> access.checkForm(null, null, null, SATO, ACT, token), "expired");
    }

    @Test
    void theLanguageIsTheSwitchThenTheCookieThenTheBrowsersThenEnglish() {
        assertThat(ConsoleAccess.locale("ja", "en", List.of(Locale.ENGLISH))).isEqualTo(Locale.JAPANESE);
        assertThat(ConsoleAccess.locale(null, "ja", List.of(Locale.ENGLISH))).isEqualTo(Locale.JAPANESE);
        assertThat(ConsoleAccess.locale("xx", null, List.of(Locale.forLanguageTag("ja-JP"), Locale.ENGLISH)))
                .isEqualTo(Locale.JAPANESE);
        assertThat(ConsoleAccess.locale(null, null, List.of(Locale.FRENCH))).isEqualTo(Locale.ENGLISH);
    }

    private static void assertRefused(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String detail) {
        assertThatThrownBy(call).isInstanceOf(RaProblem.class)
                .satisfies(e -> assertThat(((RaProblem) e).status()).isEqualTo(403))
                .satisfies(e -> assertThat(((RaProblem) e).code()).isEqualTo("console-form-refused"))
                .hasMessageContaining(detail);
    }
}
