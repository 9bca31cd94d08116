package dev.shomei.ca;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shomei.ca.orders.OrderBundleProcessor;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.DERPrintableString;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.junit.jupiter.api.Test;

/**
 * The subject of a certificate issued from an RA order is the identity the RA verified, as the signed order states
 * it, never the CSR's (ARCHITECTURE.md, Identity): a CSR naming someone else, an organisation or extra attributes
 * yields a certificate with only the ordered subject; the profile bounds what may be certified (RFC 5280 App. A).
 */
class OrderSubjectTest {

    static final String NAME = "試験\u3000花子";

    static ObjectNode issueWithSubject(String orderId, byte[] csr, String... typeValue) {
        ObjectNode o = OrderBundleTest.issue(orderId, csr);
        if (typeValue.length > 0) {
            var subject = o.putArray("subject");
            for (int i = 0; i < typeValue.length; i += 2) {
                subject.addObject().put("type", typeValue[i]).put("value", typeValue[i + 1]);
            }
        }
        return o;
    }

    /** Makes the subscriber profile certify C and CN from the order only, as production configures it. */
    static void subjectFromOrder(CaFixture f) throws Exception {
        String yaml = Files.readString(f.configFile);
        String marker = "    description: e-signature (電子署名法) subscriber certificate\n";
        assertThat(yaml).contains(marker);
        Files.writeString(f.configFile, yaml.replace(marker, marker
                + "    subjectFrom: order\n    subjectAttributes: [C, CN]\n"), StandardCharsets.UTF_8);
    }

    @Test
    void theCertificateCarriesTheOrderedSubjectAndNothingOfTheCsrs() throws Exception {
        try (CaFixture f = CaFixture.create("subject", "EC-P256", "EC-P256")) {
            subjectFromOrder(f);
            CertificateAuthority ca = f.ceremony();
            OrderBundleProcessor p = ca.orderProcessor();
            String longest = "長".repeat(64);
            byte[] b = OrderBundleTest.bundle(f.raKeys, f.raCert, "bundle-subject",
                    // The applicant typed someone else's name, an organisation and extra attributes into the CSR.
                    issueWithSubject("forged", CaFixture.csr("CN=Yamada Taro,O=Evil Corp,OU=Admins,L=Tokyo,C=US",
                            CaFixture.ecKey("secp256r1")), "C", "JP", "CN", NAME),
                    issueWithSubject("longest", CaFixture.csr("CN=x", CaFixture.ecKey("secp256r1")),
                            "C", "JP", "CN", longest),
                    issueWithSubject("too-long", CaFixture.csr("CN=x", CaFixture.ecKey("secp256r1")),
                            "C", "JP", "CN", longest + "長"),
                    issueWithSubject("organisation", CaFixture.csr("CN=x", CaFixture.ecKey("secp256r1")),
                            "C", "JP", "O", "Evil Corp", "CN", NAME),
                    issueWithSubject("no-subject", CaFixture.csr("CN=試験 花子,C=JP", CaFixture.ecKey("secp256r1"))));
            JsonNode results = OrderBundleTest.results(p.process(b).resultBundle(), ca.issuingSigner().certificate());
            assertThat(results).hasSize(5);

            X509Certificate forged = certificate(result(results, "forged"));
            X500Name subject = X500Name.getInstance(forged.getSubjectX500Principal().getEncoded());
            RDN[] rdns = subject.getRDNs();
            assertThat(rdns).hasSize(2);
            assertThat(rdns[0].getFirst().getType()).isEqualTo(BCStyle.C);
            assertThat(rdns[0].getFirst().getValue()).isInstanceOf(DERPrintableString.class);
            assertThat(rdns[1].getFirst().getType()).isEqualTo(BCStyle.CN);
            ASN1Encodable cn = rdns[1].getFirst().getValue();
            assertThat(cn).isInstanceOf(DERUTF8String.class);
            assertThat(((DERUTF8String) cn).getString()).isEqualTo(NAME);

            // The outside verifier reads the same: only the verified name, nothing the CSR asked for.
            Path pem = ExternalVerifiers.writePem(f.dir.resolve("forged.pem"), forged);
            String printed = openssl(f.dir, "x509", "-in", pem.toString(), "-noout", "-subject", "-nameopt",
                    "utf8,sep_comma_plus_space,show_type");
            assertThat(printed.strip()).isEqualTo("subject=C=PRINTABLESTRING:JP, CN=UTF8STRING:" + NAME);
            assertThat(printed).doesNotContain("Yamada").doesNotContain("Evil").doesNotContain("US");

            assertThat(certificate(result(results, "longest")).getSubjectX500Principal().getName()).contains(longest);
            assertThat(result(results, "too-long").get("status").asText()).isEqualTo("refused");
            assertThat(result(results, "too-long").get("reason").asText())
                    .contains("CN has 65 characters").contains("at most 64").contains("never shortened");
            assertThat(result(results, "organisation").get("reason").asText())
                    .contains("'O' is not certified by the profile");
            assertThat(result(results, "no-subject").get("reason").asText())
                    .contains("subjectFrom: order").contains("CSR's subject is never certified");
        }
    }

    private static JsonNode result(JsonNode results, String orderId) {
        for (JsonNode r : results) {
            if (r.get("orderId").asText().equals(orderId)) {
                return r;
            }
        }
        throw new AssertionError("no result for order " + orderId + " in " + results);
    }

    private static X509Certificate certificate(JsonNode result) throws Exception {
        assertThat(result.get("status").asText()).as(result.toString()).isEqualTo("issued");
        return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(
                new ByteArrayInputStream(Base64.getDecoder().decode(result.get("certificate").asText())));
    }

    static String openssl(Path dir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("openssl " + String.join(" ", args) + " did not finish in 30 s");
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }
}
