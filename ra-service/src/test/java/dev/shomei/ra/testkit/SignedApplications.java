package dev.shomei.ra.testkit;

import dev.shomei.ra.testkit.ApplicantClient.Claim;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;

/**
 * Pre-made signed applications for the benchmarks: distinct applicants (each a JPKI signing certificate of its own,
 * from the simulated 2024 generation), each applying for a new EC P-256 key, signed by the card as the applicant's
 * PC would, written one DER CMS per file ({@code 000000.cms}, ...) so that a load generator outside the RA's JVM
 * (wrk, {@link WrkApplications}) posts the very bytes. Made before any timing starts.
 *
 * <p>Zone: tests only (benchmarks). Writes only under the given directory.
 */
public final class SignedApplications {

    private SignedApplications() {}

    /**
     * Makes {@code n} applications (persons {@code first} .. {@code first + n - 1}, so that two sets never share an
     * applicant, a certificate or a key) on {@code threads} threads, writes them to {@code dir} and returns them.
     */
    public static List<byte[]> write(Path dir, int first, int n, int threads) throws Exception {
        Files.createDirectories(dir);
        // A few card keys shared by many certificates keep the set-up short; each certificate is distinct.
        KeyPair[] keys = IntStream.range(0, 4).mapToObj(i -> SimulatedCard.rsaKey()).toArray(KeyPair[]::new);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<byte[]>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int k = first + i;
                int file = i;
                futures.add(pool.submit(() -> {
                    JpkiPerson p = JpkiPerson.of("試験", "利用者" + k, String.valueOf(1 + k % 3),
                            LocalDate.of(1950, 1, 1).plusDays(k * 7L % 18_000), "東京都千代田区霞が関" + (k % 900 + 1) + "番地");
                    KeyPair key = keys[k % keys.length];
                    SimulatedCard card = SimulatedCard.inSoftware(key, p,
                            JpkiTestCa.signing(JpkiTestCa.GEN_2024, key.getPublic(), p));
                    byte[] cms = ApplicantClient.application(card, Claim.of(p),
                            ApplicantClient.csr(ApplicantClient.ecKey()));
                    Files.write(dir.resolve(fileName(file)), cms);
                    return cms;
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

    /** The file of the {@code i}-th application, as the wrk script reads it. */
    public static String fileName(int i) {
        return String.format("%06d.cms", i);
    }
}
