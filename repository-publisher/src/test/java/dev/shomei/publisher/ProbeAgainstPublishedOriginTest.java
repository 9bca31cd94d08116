package dev.shomei.publisher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.publisher.probe.ProbeCli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The probe on what the publisher really wrote (a verified bundle published to a filesystem origin), read from the
 * origin directory and, as a relying party on the network would, over HTTP from the edge serving it.
 */
class ProbeAgainstPublishedOriginTest {

    @TempDir
    Path dir;

    @Test
    void aFreshPublicationPassesFromTheOriginAndOverHttp() throws Exception {
        try (PublishedRepository repo = new PublishedRepository(dir, Clock.systemUTC())) {
            String issuing = dir.resolve("ca/issuing.pem").toString();
            String root = dir.resolve("ca/root.pem").toString();

            Run fromOrigin = probe("--origin-dir", repo.origin.toString(), "--ca-cert", issuing, "--ca-cert", root);
            assertThat(fromOrigin.exit()).as(fromOrigin.output()).isEqualTo(ProbeCli.OK);
            assertThat(fromOrigin.output()).contains("crl/issuing-2026.crl: CRL 7 fresh")
                    .contains("2 checked, 0 past half validity, 0 lapsed");

            Run overHttp = probe("--base-url", repo.edge.uri().toString(), "--ca-cert", issuing, "--ca-cert", root,
                    "--crl", "crl/issuing-2026.crl", "--ocsp", repo.ocspPath(repo.good.certificate().getSerialNumber()));
            assertThat(overHttp.exit()).as(overHttp.output()).isEqualTo(ProbeCli.OK);
            assertThat(overHttp.output()).contains("2 artifact(s) from " + repo.edge.uri());

            // Only the issuing CA given: the CRL of a CA the probe does not know is not trusted.
            Run unknownCa = probe("--origin-dir", repo.origin.toString(), "--ca-cert", root);
            assertThat(unknownCa.exit()).as(unknownCa.output()).isEqualTo(ProbeCli.CRITICAL);
            assertThat(unknownCa.output()).contains("none of the CA certificates given");
        }
    }

    record Run(int exit, String output) {}

    private static synchronized Run probe(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream capture = new PrintStream(buf, true, StandardCharsets.UTF_8);
        System.setOut(capture);
        System.setErr(capture);
        try {
            return new Run(ProbeCli.run(args), buf.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }
}
