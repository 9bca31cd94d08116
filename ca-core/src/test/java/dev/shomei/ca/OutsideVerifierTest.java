package dev.shomei.ca;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shomei.ca.crl.CrlIssuer;
import dev.shomei.ca.orders.OrderBundleProcessor;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The CA's artifacts read by a verifier that is not ours: {@code openssl cms -verify} on order and result bundles,
 * {@code openssl x509 -text} on an issued certificate (URLs, policy, key usage, validity, notAfter clamped to the
 * issuer's), and {@code openssl crl} on an empty CRL and on one of 40,000 entries (more than one 1 MiB chunk of
 * the streaming encoder).
 */
class OutsideVerifierTest {

    private static final DateTimeFormatter OPENSSL_DATE = DateTimeFormatter.ofPattern("MMM ppd HH:mm:ss yyyy 'GMT'",
            Locale.ENGLISH);

    static Instant opensslDate(String line) {
        return LocalDateTime.parse(line.substring(line.indexOf('=') + 1).trim(), OPENSSL_DATE).toInstant(ZoneOffset.UTC);
    }

    @Test
    void orderAndResultBundlesVerifyWithOpensslCms() throws Exception {
        try (CaFixture f = CaFixture.create("osslcms", "EC-P256", "EC-P256")) {
            CertificateAuthority ca = f.ceremony();
            byte[] order = OrderBundleTest.bundle(f.raKeys, f.raCert, "cms-1",
                    OrderBundleTest.issue("cms-app", CaFixture.csr("CN=Cms,C=JP", CaFixture.ecKey("secp256r1"))));
            Files.write(f.dir.resolve("order.p7m"), order);
            ExternalVerifiers.Run v = ExternalVerifiers.openssl(f.dir, "cms", "-verify", "-inform", "DER", "-in", "order.p7m",
                    "-CAfile", "ra-orders.pem", "-purpose", "any", "-out", "order.json");
            assertThat(v.exit()).as(v.output()).isZero();
            assertThat(v.output()).contains("Verification successful");
            JsonNode content = new ObjectMapper().readTree(Files.readAllBytes(f.dir.resolve("order.json")));
            assertThat(content.get("bundleId").asText()).isEqualTo("cms-1");

            // The failing side: one byte of the content changed, and openssl refuses it too.
            byte[] tampered = order.clone();
            int at = new String(tampered, StandardCharsets.ISO_8859_1).indexOf("cms-app");
            tampered[at] = 'X';
            Files.write(f.dir.resolve("tampered.p7m"), tampered);
            ExternalVerifiers.Run bad = ExternalVerifiers.openssl(f.dir, "cms", "-verify", "-inform", "DER", "-in",
                    "tampered.p7m", "-CAfile", "ra-orders.pem", "-purpose", "any", "-out", "tampered.json");
            assertThat(bad.exit()).isNotZero();
            assertThat(bad.output()).contains("Verification failure");

            OrderBundleProcessor.Result r = ca.orderProcessor().process(order);
            Files.write(f.dir.resolve("result.p7m"), r.resultBundle());
            ExternalVerifiers.Run rv = ExternalVerifiers.openssl(f.dir, "cms", "-verify", "-inform", "DER", "-in", "result.p7m",
                    "-CAfile", "ceremony/root-ca.pem", "-purpose", "any", "-out", "result.json");
            assertThat(rv.exit()).as(rv.output()).isZero();
            JsonNode results = new ObjectMapper().readTree(Files.readAllBytes(f.dir.resolve("result.json")));
            assertThat(results.get("orderBundleId").asText()).isEqualTo("cms-1");
            assertThat(results.get("results").get(0).get("status").asText()).isEqualTo("issued");
            // Signed by the issuing CA, not by the RA: the RA's certificate as the only trust fails.
            ExternalVerifiers.Run wrongTrust = ExternalVerifiers.openssl(f.dir, "cms", "-verify", "-inform", "DER", "-in",
                    "result.p7m", "-CAfile", "ra-orders.pem", "-purpose", "any", "-out", "result2.json");
            assertThat(wrongTrust.exit()).isNotZero();
        }
    }

    @Test
    void certificateContentAsOpensslShowsIt() throws Exception {
        try (CaFixture f = CaFixture.create("osslx509", "EC-P256", "EC-P256")) {
            Files.writeString(f.configFile, """
                      long-lived:
                        validityDays: 7300
                        keyUsage: [digitalSignature]
                        certificatePolicies: ["1.3.6.1.4.1.99999.1.2"]
                        allowedKeys: [EC-P256]
                    """, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
            CertificateAuthority ca = f.ceremony();
            JsonNode issued = OrderBundleTest.results(ca.orderProcessor().process(OrderBundleTest.bundle(f.raKeys, f.raCert,
                    "x509", OrderBundleTest.issue("x509-app", CaFixture.csr("CN=Yamada Taro,C=JP",
                            CaFixture.ecKey("secp256r1"))))).resultBundle(), ca.issuingSigner().certificate()).get(0);
            X509Certificate leaf = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(
                    new ByteArrayInputStream(Base64.getDecoder().decode(issued.get("certificate").asText())));
            ExternalVerifiers.writePem(f.dir.resolve("leaf.pem"), leaf);
            String text = ExternalVerifiers.openssl(f.dir, "x509", "-in", "leaf.pem", "-noout", "-text").output();
            assertThat(text).contains("Subject: CN = Yamada Taro, C = JP")
                    .contains("Issuer: CN = Shomei Test Issuing CA, O = Shomei Test, C = JP")
                    .containsPattern("X509v3 Key Usage: critical\\s+Digital Signature, Non Repudiation")
                    .containsPattern("X509v3 CRL Distribution Points:\\s+Full Name:\\s+URI:http://repo.test/crl/issuing-test.crl")
                    .contains("OCSP - URI:http://repo.test/ocsp")
                    .contains("CA Issuers - URI:http://repo.test/certs/issuing-test.cer")
                    .contains("Policy: 1.3.6.1.4.1.99999.1.1")
                    .contains("X509v3 Authority Key Identifier", "X509v3 Subject Key Identifier")
                    .doesNotContain("CA:TRUE");
            String dates = ExternalVerifiers.openssl(f.dir, "x509", "-in", "leaf.pem", "-noout", "-startdate", "-enddate").output();
            Instant notBefore = opensslDate(dates.lines().filter(l -> l.startsWith("notBefore=")).findFirst().orElseThrow());
            Instant notAfter = opensslDate(dates.lines().filter(l -> l.startsWith("notAfter=")).findFirst().orElseThrow());
            // CP/CPS §6.3.2: 1825 days, the last second included.
            assertThat(Duration.between(notBefore, notAfter)).isEqualTo(Duration.ofDays(1825).minusSeconds(1));
            assertThat(Duration.between(notBefore, Instant.now()).abs()).isLessThan(Duration.ofMinutes(5));

            // A profile longer than the issuer's remaining life: notAfter is the issuer's notAfter, not later.
            X509Certificate clamped = ca.issuer().issue(null, CaFixture.csr("CN=Long Lived,C=JP", CaFixture.ecKey("secp256r1")),
                    "long-lived").certificate();
            ExternalVerifiers.writePem(f.dir.resolve("clamped.pem"), clamped);
            String leafEnd = ExternalVerifiers.openssl(f.dir, "x509", "-in", "clamped.pem", "-noout", "-enddate").output().trim();
            String issuerEnd = ExternalVerifiers.openssl(f.dir, "x509", "-in", "ceremony/issuing-ca.pem", "-noout", "-enddate")
                    .output().trim();
            assertThat(leafEnd).isEqualTo(issuerEnd);
            assertThat(ExternalVerifiers.openssl(f.dir, "x509", "-in", "clamped.pem", "-noout", "-text").output())
                    .contains("Policy: 1.3.6.1.4.1.99999.1.2");
            ExternalVerifiers.Run chain = ExternalVerifiers.openssl(f.dir, "verify", "-CAfile", "ceremony/root-ca.pem",
                    "-untrusted", "ceremony/issuing-ca.pem", "leaf.pem", "clamped.pem");
            assertThat(chain.output()).contains("leaf.pem: OK", "clamped.pem: OK");
        }
    }

    @Test
    void anEmptyCrlAndOneOf40000EntriesVerifyWithOpensslCrl() throws Exception {
        try (CaFixture f = CaFixture.create("osslcrl", "EC-P256", "EC-P256")) {
            CertificateAuthority ca = f.ceremony();
            CrlIssuer.IssuedCrl empty = ca.crlIssuer().issue();
            Files.write(f.dir.resolve("empty.crl"), empty.der());
            ExternalVerifiers.Run e = ExternalVerifiers.openssl(f.dir, "crl", "-inform", "DER", "-in", "empty.crl",
                    "-CAfile", "ceremony/issuing-ca.pem", "-noout", "-text");
            assertThat(e.exit()).as(e.output()).isZero();
            assertThat(e.output()).contains("verify OK", "No Revoked Certificates.", "X509v3 CRL Number:");

            int n = 40_000;
            try (Connection c = f.db.connect(); Statement st = c.createStatement()) {
                st.execute("INSERT INTO certificate (serial, issuer_label, request_id, profile, subject, public_key_sha256,"
                        + " not_before, not_after, der) SELECT to_hex(1000000000000 + i), 'issuing-test', 'bulk-' || i,"
                        + " 'subscriber-signature', 'CN=Bulk', md5(i::text), now() - interval '1 day',"
                        + " now() + interval '300 days', '\\x00'::bytea FROM generate_series(1, " + n + ") i");
                st.execute("INSERT INTO revocation (serial, revoked_at, reason, requested_by) SELECT"
                        + " to_hex(1000000000000 + i), now() - interval '1 hour', 1, 'bulk' FROM generate_series(1, " + n + ") i");
            }
            CrlIssuer.IssuedCrl big = ca.crlIssuer().issue();
            assertThat(big.record().entries()).isEqualTo(n);
            Path file = f.dir.resolve("big.crl");
            Files.copy(big.file(), file);
            assertThat(Files.size(file)).as("more than one 1 MiB chunk of the encoder").isGreaterThan(1L << 20);
            ExternalVerifiers.Run b = ExternalVerifiers.openssl(f.dir, "crl", "-inform", "DER", "-in", "big.crl",
                    "-CAfile", "ceremony/issuing-ca.pem", "-noout", "-text");
            assertThat(b.exit()).isZero();
            assertThat(b.output()).contains("verify OK");
            Matcher m = Pattern.compile("Serial Number: ").matcher(b.output());
            int listed = 0;
            while (m.find()) {
                listed++;
            }
            assertThat(listed).isEqualTo(n);
            assertThat(b.output()).contains("Serial Number: E8D4A51001", "Serial Number: E8D4A5AC40", "Key Compromise");
        }
    }
}
