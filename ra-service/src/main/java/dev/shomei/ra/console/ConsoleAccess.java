package dev.shomei.ra.console;

import dev.shomei.audit.Actor;
import dev.shomei.ra.officer.OfficerAuthentication;
import dev.shomei.ra.problem.RaProblem;
import io.vertx.core.http.HttpServerRequest;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Who may use the console, and whether a form was sent by the console itself.
 *
 * <p>Sign-in is the client certificate of the TLS connection, checked by the same code as the REST API
 * ({@link OfficerAuthentication}: officer CA, validity, the officer CA's CRL, one role per certificate). The browser
 * presents the certificate on every connection, so there is no password and no session cookie to steal.
 *
 * <p>Because the browser presents the certificate on its own, a page of another site could make it send a form to
 * the console (cross-site request forgery). Every state-changing form therefore carries a token: HMAC-SHA256, under a
 * key drawn at start-up, over the SHA-256 of the signed-in certificate, the act the form is for (e.g.
 * {@code decide application <id>}) and the time it was issued. It is valid for {@link #TOKEN_LIFETIME}, for that
 * certificate and that act only, and a restart invalidates it (the officer reloads the page). Requests a browser marks
 * as cross-site ({@code Sec-Fetch-Site}, or an {@code Origin} of another host) are refused before the token is looked
 * at (OWASP CSRF Prevention Cheat Sheet: synchronizer token plus Fetch Metadata).
 *
 * <p>Zone: online (ra-service), console. Holds the token key in memory only; no I/O.
 */
@ApplicationScoped
public class ConsoleAccess {

    static final Duration TOKEN_LIFETIME = Duration.ofHours(2);
    /** The languages the console speaks (message bundle {@link ConsoleMessages} and console_ja.properties). */
    static final List<String> LANGUAGES = List.of("en", "ja");
    static final String LANG_COOKIE = "console-lang";

    private final byte[] key = new byte[32];
    private final Clock clock;

    @Inject
    OfficerAuthentication authentication;

    public ConsoleAccess() {
        this(Clock.systemUTC());
    }

    ConsoleAccess(Clock clock) {
        this.clock = clock;
        new SecureRandom().nextBytes(key);
    }

    /** The staff member behind the request in {@code role} (401/403/503 problems as the REST API gives them). */
    public Actor signIn(HttpServerRequest request, OfficerAuthentication.Role role) {
        return authentication.authenticate(request, role);
    }

    /** A token for the form that performs {@code act}, bound to the signed-in certificate. */
    public String formToken(Actor who, String act) {
        long issued = clock.instant().getEpochSecond();
        byte[] mac = mac(who, act, issued);
        ByteBuffer b = ByteBuffer.allocate(8 + mac.length).putLong(issued).put(mac);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b.array());
    }

    /**
     * Refuses (403 problem) a state-changing request that a browser marks as cross-site, or whose form token is
     * missing, expired, or was issued for another certificate or another act.
     */
    public void checkForm(HttpServerRequest request, Actor who, String act, String token) {
        checkForm(request.getHeader("Sec-Fetch-Site"), request.getHeader("Origin"), request.getHeader("Host"), who,
                act, token);
    }

    void checkForm(String site, String origin, String host, Actor who, String act, String token) {
        if (site != null && !site.equals("same-origin") && !site.equals("none")) {
            throw csrf("the browser sent this form from another site (Sec-Fetch-Site: " + site + ")");
        }
        if (origin != null && !origin.equals("null") && host != null && !origin.equals("https://" + host)) {
            throw csrf("the form was sent from " + origin + ", not from the console at https://" + host);
        }
        if (token == null || token.isBlank()) {
            throw csrf("the form carries no token; reload the page and send the form again");
        }
        byte[] raw;
        try {
            raw = Base64.getUrlDecoder().decode(token.strip());
        } catch (IllegalArgumentException e) {
            raw = new byte[0];
        }
        if (raw.length != 8 + 32) {
            throw csrf("the form's token is malformed; reload the page and send the form again");
        }
        ByteBuffer b = ByteBuffer.wrap(raw);
        long issued = b.getLong();
        byte[] mac = new byte[32];
        b.get(mac);
        if (!MessageDigest.isEqual(mac, mac(who, act, issued))) {
            throw csrf("the form's token was not issued to this certificate for this act; reload the page");
        }
        long age = clock.instant().getEpochSecond() - issued;
        if (age < -60 || age > TOKEN_LIFETIME.toSeconds()) {
            throw csrf("the form's token has expired (valid " + TOKEN_LIFETIME.toMinutes() + " minutes); reload"
                    + " the page and send the form again");
        }
    }

    /**
     * The page's language: {@code lang} from the switch on the page, else the cookie the switch set, else the
     * browser's Accept-Language, else English.
     */
    static Locale locale(String lang, String cookie, List<Locale> acceptable) {
        for (String candidate : new String[] {lang, cookie}) {
            if (candidate != null && LANGUAGES.contains(candidate.strip())) {
                return Locale.forLanguageTag(candidate.strip());
            }
        }
        for (Locale l : acceptable) {
            if (LANGUAGES.contains(l.getLanguage())) {
                return Locale.forLanguageTag(l.getLanguage());
            }
        }
        return Locale.ENGLISH;
    }

    private byte[] mac(Actor who, String act, long issued) {
        try {
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(new SecretKeySpec(key, "HmacSHA256"));
            m.update(OfficerAuthentication.certificateSha256(who).getBytes(StandardCharsets.UTF_8));
            m.update((byte) 0);
            m.update(act.getBytes(StandardCharsets.UTF_8));
            m.update((byte) 0);
            return m.doFinal(Long.toString(issued).getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every Java runtime has HmacSHA256", e);
        }
    }

    private static RaProblem csrf(String detail) {
        return new RaProblem(403, "console-form-refused", "Form refused", detail);
    }
}
