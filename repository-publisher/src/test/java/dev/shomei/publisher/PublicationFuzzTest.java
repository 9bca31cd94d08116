package dev.shomei.publisher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.publisher.bundle.BundleVerifier;
import dev.shomei.publisher.bundle.CaCertificates;
import dev.shomei.publisher.origin.LiveManifest;
import dev.shomei.publisher.bundle.PublicationBundle;
import dev.shomei.publisher.bundle.Verification;
import dev.shomei.testsupport.Fuzz;
import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.OCSPReq;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes what the repository side reads from outside (docs/fuzzing.md): publication bundles as tar files
 * ({@link PublicationBundle#read} then {@link BundleVerifier#verify}), from mutations of a real signed bundle, and
 * OCSP requests at the keyless edge, POSTed and GETted over loopback to a started edge. A bundle is accepted only
 * with exactly the files the CA signed; the edge never answers 5xx, and a successful OCSP response it serves
 * answers the serial that was asked.
 *
 * <p>Zone: tests only (the publisher's and the edge's code, against a temporary origin on loopback).
 */
@Tag("fuzz")
class PublicationFuzzTest {

    /** A bundle the verifier refused: a documented outcome, not a crash. */
    static final class Refused extends Exception {
        Refused(String why) {
            super(why, null, false, false);
        }
    }

    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static Path dir;
    static PublishedRepository repo;
    static List<byte[]> tarSamples;
    static Map<String, String> signedFiles;
    static BundleVerifier verifier;
    static List<byte[]> ocspSamples;
    static Fuzz.Target tarTarget;
    static Fuzz.Target edgeTarget;

    @BeforeAll
    static void samples() throws Exception {
        dir = Files.createTempDirectory("fuzz-publication");
        repo = new PublishedRepository(dir.resolve("repo"), Clock.systemUTC());
        TestPki pki = repo.pki;
        // One OCSP response: a second one is parsed and checked by the same code, and would only add its ECDSA
        // verification to every input (the response's and its responder certificate's are the costly part).
        Path bundle = new BundleBuilder(pki).crlNumber(8).ocsp(BigInteger.valueOf(0x4001))
                .write(dir.resolve("bundle"));
        Path tar = dir.resolve("bundle.tar");
        Process p = new ProcessBuilder("tar", "-cf", tar.toString(), "-C", bundle.toString(), ".")
                .redirectErrorStream(true).start();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException("tar failed: " + new String(p.getInputStream().readAllBytes()));
        }
        tarSamples = List.of(Files.readAllBytes(tar));
        verifier = new BundleVerifier(CaCertificates.of(List.of(pki.root.certificate(), pki.issuing.certificate())),
                pki.signers(), Clock.systemUTC());
        signedFiles = digests(PublicationBundle.read(tar));
        ocspSamples = new ArrayList<>();
        for (BigInteger serial : List.of(repo.good.certificate().getSerialNumber(),
                repo.revoked.certificate().getSerialNumber(), BigInteger.valueOf(0x0badc0ffeeL))) {
            ocspSamples.add(RepositoryEdgeTest.request(pki.issuing.certificate(), serial, CertificateID.HASH_SHA1, false));
        }
        ocspSamples.add(RepositoryEdgeTest.request(pki.issuing.certificate(), repo.good.certificate().getSerialNumber(),
                new AlgorithmIdentifier(NISTObjectIdentifiers.id_sha256), true));
        tarTarget = new Fuzz.Target("repository-publisher PublicationBundle.read + BundleVerifier.verify (bundle tar)",
                t -> t instanceof IOException || t instanceof Refused);
        edgeTarget = new Fuzz.Target("repository-publisher RepositoryEdge OCSP (POST and GET over loopback)",
                t -> t instanceof Refused);
    }

    static Map<String, String> digests(PublicationBundle b) throws java.io.IOException {
        Map<String, String> m = new TreeMap<>();
        try (PublicationBundle.Entries files = b.entries()) {
            files.forEachRemaining(e -> m.put(e.path(), e.regular() ? Base64.getEncoder().encodeToString(sha256(e.content())) : "(not a file)"));
        }
        try (java.io.InputStream in = b.openManifest()) {
            m.put("manifest.json", Base64.getEncoder().encodeToString(sha256(in.readAllBytes())));
        }
        return m;
    }

    static byte[] sha256(byte[] b) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(b);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @AfterAll
    static void report() {
        repo.close();
        List<Fuzz.Target> run = List.of(tarTarget, edgeTarget).stream().filter(t -> t.inputs() > 0).toList();
        run.forEach(Fuzz.Target::report);
        run.forEach(t -> assertThat(t.accepted()).as("the unchanged samples are accepted").isPositive());
    }

    /**
     * Inputs run on two threads (the verifier is pure and the target counts from several threads): a bundle's
     * checks are mostly ECDSA verifications (the manifest's CMS, the CRL, the OCSP response and its responder
     * certificate, the chain, the CP/CPS's PAdES signature), so two cores check about twice as many bundles.
     */
    static final int THREADS = 2;

    @Test
    void anAcceptedBundleHasExactlyTheSignedFiles() {
        // SunEC's ECDSA verdicts are remembered for byte-identical (key, data, signature): see MemoizedEcdsa.
        MemoizedEcdsa.install();
        try {
            accepted();
        } finally {
            MemoizedEcdsa.uninstall();
            System.out.printf("fuzz bundle tar: ECDSA verdicts remembered %d times, computed %d times%n",
                    MemoizedEcdsa.HITS.get(), MemoizedEcdsa.MISSES.get());
        }
        assertThat(MemoizedEcdsa.MISSES.get()).as("mutated signed bytes are verified afresh").isPositive();
    }

    void accepted() {
        Fuzz.parallel(THREADS, Fuzz.tries(), n -> {
            byte[] input = Fuzz.input(tarSamples, n);
            // PublicationBundle.read takes a file, as the publisher does; one file per thread.
            Path in = dir.resolve("input-" + Thread.currentThread().getName() + ".tar");
            Files.write(in, input);
            PublicationBundle[] read = new PublicationBundle[1];
            if (tarTarget.check(input, x -> {
                read[0] = PublicationBundle.read(in);
                Verification v = verifier.verify(read[0], LiveManifest.empty());
                if (!v.accepted()) {
                    throw new Refused(v.refusals().toString());
                }
            })) {
                assertThat(digests(read[0])).as("an accepted bundle holds exactly the files that were signed")
                        .isEqualTo(signedFiles);
            }
        });
    }

    @Test
    void theEdgeNeverFailsAndAnswersOnlyWhatWasAsked() {
        for (int n = 0; n < Fuzz.tries(); n++) {
            byte[] input = Fuzz.input(ocspSamples, n);
            // Alternate POST and GET (RFC 6960 Appendix A.1) by the input's last byte, so both paths see every kind.
            boolean post = input.length == 0 || (input[input.length - 1] & 1) == 0;
            edgeTarget.check(input, x -> {
                HttpRequest.Builder b = post
                        ? HttpRequest.newBuilder(repo.ocspUri()).header("Content-Type", "application/ocsp-request")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(x))
                        : HttpRequest.newBuilder(URI.create(repo.ocspUri() + "/"
                        + URLEncoder.encode(Base64.getEncoder().encodeToString(x), StandardCharsets.UTF_8))).GET();
                HttpResponse<byte[]> r = HTTP.send(b.timeout(Duration.ofSeconds(30)).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                assertThat(r.statusCode()).as("HTTP status").isLessThan(500);
                if (r.statusCode() != 200) {
                    throw new Refused("HTTP " + r.statusCode());
                }
                OCSPResp resp = new OCSPResp(r.body());
                if (resp.getStatus() != OCSPResp.SUCCESSFUL) {
                    throw new Refused("OCSP status " + resp.getStatus());
                }
                // A served response must answer the certificate asked about: same serial, same issuer key hash.
                CertificateID asked = new OCSPReq(x).getRequestList()[0].getCertID();
                CertificateID answered = ((BasicOCSPResp) resp.getResponseObject()).getResponses()[0].getCertID();
                assertThat(answered.getSerialNumber()).isEqualTo(asked.getSerialNumber());
                assertThat(Arrays.equals(answered.getIssuerKeyHash(), asked.getIssuerKeyHash())
                        || !Arrays.equals(asked.getHashAlgOID().getEncoded(), answered.getHashAlgOID().getEncoded()))
                        .as("the issuer key hash answered is the one asked").isTrue();
            });
        }
    }
}
