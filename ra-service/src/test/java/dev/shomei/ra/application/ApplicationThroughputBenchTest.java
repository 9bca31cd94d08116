package dev.shomei.ra.application;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.ra.testkit.ApplicantClient;
import dev.shomei.ra.testkit.ApplicantClient.Claim;
import dev.shomei.ra.testkit.JpkiPerson;
import dev.shomei.ra.testkit.JpkiTestCa;
import dev.shomei.ra.testkit.RaTestEnvironment;
import dev.shomei.ra.testkit.SimulatedCard;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.KeyPair;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Applications decided per second, end to end (HTTP in, CMS and chain verification, OCSP round trip to the
 * simulated J-LIS, CSR and identity checks, policy, one transaction with books and audit-log, HTTP out), next to
 * the raw rate of CMS signature verification measured in the same run on the same applications. Run with
 * {@code ./mvnw -B -o -pl ra-service -Pbench verify}; not part of the normal test run.
 */
@Tag("bench")
@QuarkusTest
@WithTestResource(RaTestEnvironment.class)
class ApplicationThroughputBenchTest {

    static final int APPLICATIONS = Integer.getInteger("bench.applications", 3000);
    static final int WARM_UP = 300;
    static final int CLIENTS = Integer.getInteger("bench.clients", 128);

    @Test
    void applicationsDecidedPerSecond() throws Exception {
        int threads = Runtime.getRuntime().availableProcessors();
        List<byte[]> apps = generate(APPLICATIONS + WARM_UP, threads);

        // Baseline: verify each CMS signature (messageDigest + RSA-2048), nothing else.
        verifyAll(apps.subList(0, WARM_UP), threads);
        long t0 = System.nanoTime();
        verifyAll(apps.subList(WARM_UP, apps.size()), threads);
        double baseline = APPLICATIONS / ((System.nanoTime() - t0) / 1e9);

        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        URI uri = URI.create("http://localhost:" + RestAssured.port + "/applications");
        submitAll(http, uri, apps.subList(0, WARM_UP));
        long t1 = System.nanoTime();
        int approved = submitAll(http, uri, apps.subList(WARM_UP, apps.size()));
        double endToEnd = APPLICATIONS / ((System.nanoTime() - t1) / 1e9);

        System.out.printf("%nBENCH ra-service (%d cores, %d HTTP clients, %d applications):%n", threads, CLIENTS,
                APPLICATIONS);
        System.out.printf("BENCH   baseline  raw CMS verify (BC, %d threads):       %,10.0f /s%n", threads, baseline);
        System.out.printf("BENCH   end to end applications decided (APPROVED):   %,10.0f /s  (%.1f%% of baseline;"
                + " target 1,000/s)%n%n", endToEnd, 100 * endToEnd / baseline);
        assertThat(approved).isEqualTo(APPLICATIONS);
    }

    /** Distinct applicants (each a JPKI certificate of its own), sharing a few card keys to keep set-up short. */
    static List<byte[]> generate(int n, int threads) throws Exception {
        KeyPair[] keys = IntStream.range(0, 4).mapToObj(i -> SimulatedCard.rsaKey()).toArray(KeyPair[]::new);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<byte[]>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int k = i;
                futures.add(pool.submit(() -> {
                    JpkiPerson p = JpkiPerson.of("試験", "利用者" + k, String.valueOf(1 + k % 3),
                            LocalDate.of(1950, 1, 1).plusDays(k * 7L), "東京都千代田区霞が関" + (k % 900 + 1) + "番地");
                    KeyPair key = keys[k % keys.length];
                    SimulatedCard card = SimulatedCard.inSoftware(key, p,
                            JpkiTestCa.signing(JpkiTestCa.GEN_2024, key.getPublic(), p));
                    return ApplicantClient.application(card, Claim.of(p), ApplicantClient.csr(ApplicantClient.ecKey()));
                }));
            }
            List<byte[]> out = new ArrayList<>();
            for (Future<byte[]> f : futures) {
                out.add(f.get());
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    static void verifyAll(List<byte[]> apps, int threads) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            AtomicInteger next = new AtomicInteger();
            List<Future<Integer>> fs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                fs.add(pool.submit(() -> {
                    int ok = 0;
                    for (int i; (i = next.getAndIncrement()) < apps.size(); ) {
                        CMSSignedData s = new CMSSignedData(apps.get(i));
                        SignerInformation si = s.getSignerInfos().getSigners().iterator().next();
                        var holder = (org.bouncycastle.cert.X509CertificateHolder)
                                s.getCertificates().getMatches(si.getSID()).iterator().next();
                        var cert = new org.bouncycastle.cert.jcajce.JcaX509CertificateConverter().getCertificate(holder);
                        if (si.verify(new JcaSimpleSignerInfoVerifierBuilder().build(cert.getPublicKey()))) {
                            ok++;
                        }
                    }
                    return ok;
                }));
            }
            int ok = 0;
            for (Future<Integer> f : fs) {
                ok += f.get();
            }
            assertThat(ok).isEqualTo(apps.size());
        } finally {
            pool.shutdownNow();
        }
    }

    static int submitAll(HttpClient http, URI uri, List<byte[]> apps) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        try {
            AtomicInteger next = new AtomicInteger();
            AtomicInteger approved = new AtomicInteger();
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < CLIENTS; t++) {
                fs.add(pool.submit(() -> {
                    for (int i; (i = next.getAndIncrement()) < apps.size(); ) {
                        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri)
                                .header("Content-Type", "application/cms")
                                .POST(HttpRequest.BodyPublishers.ofByteArray(apps.get(i))).build(),
                                HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() == 201 && r.body().contains("\"status\":\"APPROVED\"")) {
                            approved.incrementAndGet();
                        } else {
                            System.out.println("BENCH unexpected " + r.statusCode() + " " + r.body());
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
            return approved.get();
        } finally {
            pool.shutdownNow();
        }
    }
}
