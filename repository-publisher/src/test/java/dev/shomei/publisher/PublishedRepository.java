package dev.shomei.publisher;

import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

import dev.shomei.publisher.bundle.CaCertificates;
import dev.shomei.publisher.bundle.OcspPath;
import dev.shomei.publisher.bundle.PublicationBundle;
import dev.shomei.publisher.bundle.Verification;
import dev.shomei.publisher.edge.RepositoryEdge;
import dev.shomei.publisher.origin.FileSystemOrigin;

/**
 * A filesystem origin with one published bundle (one good and one revoked subscriber certificate) and the edge
 * serving it on a free loopback port.
 */
final class PublishedRepository implements AutoCloseable {

    final TestPki pki = new TestPki();
    final Path dir;
    final Path origin;
    final CaCertificates cas;
    final TestPki.Identity good;
    final TestPki.Identity revoked;
    final BundleBuilder bundle;
    final RepositoryEdge edge;

    PublishedRepository(Path dir, Clock edgeClock) throws Exception {
        this.dir = dir;
        this.origin = dir.resolve("origin");
        this.cas = CaCertificates.of(List.of(pki.root.certificate(), pki.issuing.certificate()));
        // The certificates' AIA points at a port not known yet; the tests name the responder explicitly.
        good = pki.subscriber("good subscriber", "http://127.0.0.1:1/ocsp");
        revoked = pki.subscriber("revoked subscriber", "http://127.0.0.1:1/ocsp");
        bundle = new BundleBuilder(pki).crlNumber(7);
        bundle.revoke(revoked.certificate().getSerialNumber(), bundle.now().minusSeconds(7200));
        bundle.ocsp(good.certificate().getSerialNumber()).ocsp(revoked.certificate().getSerialNumber());
        Verification v = publish(bundle, "bundle-1");
        if (!v.accepted()) {
            throw new IllegalStateException("fixture bundle refused: " + v.refusals());
        }
        pki.writeCaFiles(dir.resolve("ca"));
        edge = RepositoryEdge.start(new FileSystemOrigin(origin), cas, new InetSocketAddress("127.0.0.1", 0), edgeClock,
                Duration.ofHours(1));
    }

    Verification publish(BundleBuilder b, String name) throws Exception {
        return new Publisher(cas, pki.signers(), new FileSystemOrigin(origin), Clock.systemUTC(), Duration.ofHours(1))
                .publish(PublicationBundle.read(b.write(dir.resolve(name))));
    }

    URI ocspUri() {
        return edge.uri().resolve("ocsp");
    }

    String ocspPath(BigInteger serial) throws Exception {
        return OcspPath.of(BundleBuilder.keyHashHex(pki.issuing.certificate()), serial.toString(16));
    }

    @Override
    public void close() {
        edge.close();
    }
}
