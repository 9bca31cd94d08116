package dev.shomei.publisher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.math.BigInteger;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.PKIXRevocationChecker;
import java.security.cert.TrustAnchor;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * What relying parties see, checked by clients that share no code with the publisher: the openssl command
 * (OCSP over POST, a request sent by GET, CRL signature) and the JDK's PKIX validator with OCSP.
 */
class IndependentClientsTest extends AgainstPublishedRepository {



    record Run(int exit, String output) { }

    static Run openssl(String... args) throws Exception {
        ExternalProcess.Result r = ExternalProcess.openssl(null, args);
        return new Run(r.exit(), r.output());
    }

    static String hexSerial(BigInteger s) {
        return "0x" + s.toString(16);
    }

    @Test
    void opensslOcspOverPostSaysGoodAndRevokedAndVerifiesTheSignature() throws Exception {
        Path ca = tmp.resolve("ca");
        BigInteger good = repo.good.certificate().getSerialNumber();
        Run r = openssl("ocsp", "-issuer", ca.resolve("issuing.pem").toString(), "-CAfile", ca.resolve("chain.pem").toString(),
                "-url", repo.ocspUri().toString(), "-serial", hexSerial(good), "-no_nonce");
        assertThat(r.output()).contains("Response verify OK").contains(hexSerial(good) + ": good");
        assertThat(r.exit()).isZero();

        BigInteger revoked = repo.revoked.certificate().getSerialNumber();
        Run rr = openssl("ocsp", "-issuer", ca.resolve("issuing.pem").toString(), "-CAfile", ca.resolve("chain.pem").toString(),
                "-url", repo.ocspUri().toString(), "-serial", hexSerial(revoked), "-no_nonce");
        assertThat(rr.output()).contains("Response verify OK").contains(hexSerial(revoked) + ": revoked").contains("Reason: keyCompromise");
    }

    @Test
    void anOpensslRequestSentByGetVerifiesWithOpenssl() throws Exception {
        Path ca = tmp.resolve("ca");
        BigInteger good = repo.good.certificate().getSerialNumber();
        Path req = tmp.resolve("req.der");
        Run made = openssl("ocsp", "-issuer", ca.resolve("issuing.pem").toString(), "-serial", hexSerial(good),
                "-no_nonce", "-reqout", req.toString());
        assertThat(made.exit()).as(made.output()).isZero();

        String b64 = Base64.getEncoder().encodeToString(Files.readAllBytes(req));
        HttpResponse<byte[]> resp = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                repo.edge.uri().resolve("ocsp/" + URLEncoder.encode(b64, StandardCharsets.UTF_8))).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(resp.statusCode()).isEqualTo(200);
        Path respFile = tmp.resolve("resp.der");
        Files.write(respFile, resp.body());

        Run checked = openssl("ocsp", "-respin", respFile.toString(), "-issuer", ca.resolve("issuing.pem").toString(),
                "-CAfile", ca.resolve("chain.pem").toString(), "-serial", hexSerial(good), "-no_nonce");
        assertThat(checked.output()).contains("Response verify OK").contains(": good");
    }

    @Test
    void opensslVerifiesTheCrlFetchedFromTheEdge() throws Exception {
        HttpResponse<byte[]> resp = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                repo.edge.uri().resolve("crl/issuing-2026.crl")).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        Path crl = tmp.resolve("fetched.crl");
        Files.write(crl, resp.body());
        Run r = openssl("crl", "-inform", "DER", "-in", crl.toString(), "-CAfile", tmp.resolve("ca/chain.pem").toString(),
                "-noout", "-text");
        assertThat(r.output()).contains("verify OK").contains("X509v3 CRL Number: \n                7")
                .contains(repo.revoked.certificate().getSerialNumber().toString(16).toUpperCase());
        assertThat(r.exit()).isZero();
    }

    @Test
    void jdkPkixWithOcspAtTheEdgeSaysGoodAndRevoked() throws Exception {
        validate(repo.good);   // does not throw: good

        assertThatThrownBy(() -> validate(repo.revoked))
                .isInstanceOfSatisfying(CertPathValidatorException.class,
                        e -> assertThat(e.getReason()).isEqualTo(CertPathValidatorException.BasicReason.REVOKED));
    }

    private static void validate(TestPki.Identity leaf) throws Exception {
        CertPathValidator validator = CertPathValidator.getInstance("PKIX");
        PKIXRevocationChecker checker = (PKIXRevocationChecker) validator.getRevocationChecker();
        checker.setOcspResponder(repo.ocspUri());
        checker.setOptions(EnumSet.of(PKIXRevocationChecker.Option.ONLY_END_ENTITY, PKIXRevocationChecker.Option.NO_FALLBACK));
        PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(repo.pki.root.certificate(), null)));
        params.setRevocationEnabled(true);
        params.addCertPathChecker(checker);
        CertPath path = CertificateFactory.getInstance("X.509")
                .generateCertPath(List.of(leaf.certificate(), repo.pki.issuing.certificate()));
        validator.validate(path, params);
    }

}
