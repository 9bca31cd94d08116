package dev.shomei.ra.testkit;

import static io.restassured.RestAssured.given;

import io.restassured.response.Response;
import java.security.KeyPair;
import java.time.LocalDate;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * An applicant's tool as the safeguards tests need it: a person of their own (a date of birth no other test uses, so
 * the per-person rule counts only this test's applications), applications that state a contact and the key's device,
 * and requests from a client address of the test's choosing (X-Forwarded-For, which the RA honours from its proxy on
 * loopback under {@link SafeguardsProfile}) with a client name and version.
 *
 * <p>Zone: tests only.
 */
public final class SafeguardsClient {

    public static final String USER_AGENT = "shomei-apply/0.9.1 (test; Linux)";
    public static final Map<String, Object> TOKEN = Map.of("kind", "pkcs11-token", "manufacturer", "SoftHSM project",
            "model", "SoftHSM v2", "serialNumber", "4f1c2e9a8d4b4c7e");
    public static final Map<String, Object> SOFTWARE = Map.of("kind", "software");

    private SafeguardsClient() {}

    /** Someone no other test applies for. */
    public static JpkiPerson person() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        return JpkiPerson.of("試験", "花子", "2", LocalDate.of(1940 + r.nextInt(60), 1 + r.nextInt(12),
                1 + r.nextInt(28)), "東京都千代田区霞が関二丁目1番2号");
    }

    /** A client address no other test uses (TEST-NET-2 and 10/8). */
    public static String address() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        return "10." + r.nextInt(256) + "." + r.nextInt(256) + "." + (1 + r.nextInt(254));
    }

    /** A card (key in software: fast) with a new JPKI signing certificate for the person. */
    public static SimulatedCard card(JpkiPerson p) {
        KeyPair k = SimulatedCard.rsaKey();
        return SimulatedCard.inSoftware(k, p, JpkiTestCa.signing(JpkiTestCa.GEN_2024, k.getPublic(), p));
    }

    /** The signed application; {@code email} and {@code device} are left out when null. */
    public static byte[] application(SimulatedCard card, KeyPair subscriberKey, String email, Map<String, Object> device,
                                     String consentSha256) {
        Map<String, Object> content = new LinkedHashMap<>();
        content.put("format", "shomei-ra-application/1");
        content.put("csr", Base64.getEncoder().encodeToString(ApplicantClient.csr(subscriberKey)));
        ApplicantClient.Claim claim = ApplicantClient.Claim.of(card.person());
        content.put("claimedIdentity", Map.of("name", claim.name(), "birthDate", claim.birthDate().toString(),
                "gender", claim.gender(), "address", claim.address()));
        content.put("consent", Map.of("documentId", ApplicantClient.CONSENT_ID, "sha256", consentSha256));
        if (email != null) {
            content.put("contact", Map.of("email", email));
        }
        if (device != null) {
            content.put("keyDevice", device);
        }
        return ApplicantClient.sign(card, ApplicantClient.json(content));
    }

    public static byte[] application(SimulatedCard card, KeyPair subscriberKey, String email, Map<String, Object> device) {
        return application(card, subscriberKey, email, device, ApplicantClient.CONSENT_SHA256);
    }

    /** A renewal (shomei-ra-renewal/1) stating the new key's device, signed with the current certificate's key. */
    public static byte[] renewal(KeyPair currentKey, java.security.cert.X509Certificate current, byte[] newCsr,
                                 Map<String, Object> device) {
        Map<String, Object> content = new LinkedHashMap<>();
        content.put("format", "shomei-ra-renewal/1");
        content.put("csr", Base64.getEncoder().encodeToString(newCsr));
        content.put("consent", Map.of("documentId", ApplicantClient.CONSENT_ID, "sha256", ApplicantClient.CONSENT_SHA256));
        content.put("keyDevice", device);
        return ApplicantClient.signWithSubscriberCertificate(currentKey, current, ApplicantClient.json(content));
    }

    public static Response post(String path, byte[] cms, String address) {
        return given().contentType("application/cms").header("X-Forwarded-For", address)
                .header("User-Agent", USER_AGENT).body(cms).post(path);
    }
}
