package dev.shomei.publisher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.SortedMap;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.shomei.publisher.bundle.CaCertificates;
import dev.shomei.publisher.bundle.OcspPath;
import dev.shomei.publisher.bundle.PublicationBundle;
import dev.shomei.publisher.bundle.Verification;
import dev.shomei.publisher.origin.LiveManifest;
import dev.shomei.publisher.origin.PublicationFailedException;
import dev.shomei.publisher.origin.S3Origin;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CreateBucketRequest;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;

/** Publication to S3-compatible storage (a real S3-protocol server): metadata, staging, switch and rollback. */
class S3PublicationTest {

    static final TestPki PKI = new TestPki();
    static S3ProxyServer server;
    static S3Client s3;
    static int buckets;

    @TempDir Path tmp;
    String bucket;
    CaCertificates cas;

    @BeforeAll
    static void startServer() throws Exception {
        server = new S3ProxyServer();
        s3 = server.client();
    }

    @AfterAll
    static void stopServer() throws Exception {
        s3.close();
        server.close();
    }

    @BeforeEach
    void newBucket() {
        bucket = "repo-" + (++buckets);
        s3.createBucket(CreateBucketRequest.builder().bucket(bucket).build());
        cas = CaCertificates.of(List.of(PKI.root.certificate(), PKI.issuing.certificate()));
    }

    Publisher publisher(S3Client client) {
        return new Publisher(cas, PKI.signers(), new S3Origin(client, bucket, "repo"), Clock.systemUTC(), Duration.ofHours(1));
    }

    Verification publish(S3Client client, BundleBuilder b) throws Exception {
        return publisher(client).publish(PublicationBundle.read(b.write(tmp.resolve(b.bundleId()))));
    }

    BundleBuilder bundle(long crlNumber, long... serials) {
        BundleBuilder b = new BundleBuilder(PKI).crlNumber(crlNumber);
        for (long s : serials) {
            b.ocsp(BigInteger.valueOf(s));
        }
        return b;
    }

    byte[] object(String key) {
        return s3.getObject(GetObjectRequest.builder().bucket(bucket).key(key).build(), ResponseTransformer.toBytes()).asByteArray();
    }

    @Test
    void publishesObjectsWithContentTypesAndCacheMetadata() throws Exception {
        BundleBuilder b = bundle(3, 0x2001, 0x2002);
        assertThat(publish(s3, b).refusals()).isEmpty();

        String ocsp = OcspPath.of(BundleBuilder.keyHashHex(PKI.issuing.certificate()), "2001");
        var r = s3.getObject(GetObjectRequest.builder().bucket(bucket).key("repo/" + ocsp).build(), ResponseTransformer.toBytes());
        assertThat(r.asByteArray()).isEqualTo(Files.readAllBytes(tmp.resolve(b.bundleId()).resolve(ocsp)));
        assertThat(r.response().contentType()).isEqualTo("application/ocsp-response");
        assertThat(r.response().cacheControl()).isEqualTo("public, max-age=3600, no-transform, must-revalidate");
        // S3Proxy's in-memory store does not keep the Expires header the publisher sends (real S3 does), so
        // nextUpdate is checked in the metadata that travels with it.
        assertThat(r.response().metadata()).containsEntry("sha256", OriginSnapshot.sha256(r.asByteArray()))
                .containsEntry("next-update", b.now().plus(Duration.ofDays(4)).toString())
                .containsEntry("this-update", b.now().minusSeconds(60).toString());

        var crl = s3.getObject(GetObjectRequest.builder().bucket(bucket).key("repo/crl/issuing-2026.crl").build(), ResponseTransformer.toBytes());
        assertThat(crl.response().contentType()).isEqualTo("application/pkix-crl");
        var pdf = s3.getObject(GetObjectRequest.builder().bucket(bucket).key("repo/cps/cps-v1.pdf").build(), ResponseTransformer.toBytes());
        assertThat(pdf.response().contentType()).isEqualTo("application/pdf");

        LiveManifest live = LiveManifest.parse(object("repo/live-manifest.json"));
        assertThat(live.bundleId()).isEqualTo(b.bundleId());
        assertThat(live.crlNumber(PKI.issuing.certificate().getSubjectX500Principal().getName())).hasValue(3);
        // Staging and kept previous versions are gone once the publication is complete.
        assertThat(S3ProxyServer.snapshot(s3, bucket).keySet()).allMatch(k -> !k.contains(".staging/") && !k.contains(".previous/"));
    }

    @Test
    void aSecondBundleKeepsEarlierResponsesAndALowerCrlNumberIsRefused() throws Exception {
        publish(s3, bundle(3, 0x2001));
        assertThat(publish(s3, bundle(4, 0x2002)).refusals()).isEmpty();
        String ikh = BundleBuilder.keyHashHex(PKI.issuing.certificate());
        assertThat(object("repo/" + OcspPath.of(ikh, "2001"))).isNotEmpty();
        assertThat(object("repo/" + OcspPath.of(ikh, "2002"))).isNotEmpty();

        SortedMap<String, String> before = S3ProxyServer.snapshot(s3, bucket);
        Verification v = publish(s3, bundle(4, 0x2003));
        assertThat(v.refusals()).anySatisfy(r -> assertThat(r.toString())
                .isEqualTo("crl/issuing-2026.crl: cRLNumber 4 is not greater than the live CRL number 4 of '"
                        + PKI.issuing.certificate().getSubjectX500Principal().getName() + "'; publish a newer CRL"));
        assertThat(S3ProxyServer.snapshot(s3, bucket)).isEqualTo(before);
    }

    @Test
    void anUploadFailingPartWayLeavesLiveUnchanged() throws Exception {
        publish(s3, bundle(3, 0x2001));
        SortedMap<String, String> before = S3ProxyServer.snapshot(s3, bucket);

        FailingS3Client failing = new FailingS3Client(server.client(), 4, Integer.MAX_VALUE);
        assertThatThrownBy(() -> publish(failing, bundle(4, 0x2001, 0x2002)))
                .isInstanceOf(PublicationFailedException.class)
                .hasMessageContaining("no live object was touched");
        assertThat(failing.puts.get()).isEqualTo(5);
        assertThat(S3ProxyServer.snapshot(s3, bucket)).isEqualTo(before);
    }

    @Test
    void aSwitchFailingPartWayIsRolledBack() throws Exception {
        publish(s3, bundle(3, 0x2001));
        SortedMap<String, String> before = S3ProxyServer.snapshot(s3, bucket);

        // Three live keys are replaced (one of them new), then the connection drops.
        FailingS3Client failing = new FailingS3Client(server.client(), Integer.MAX_VALUE, 3);
        assertThatThrownBy(() -> publish(failing, bundle(4, 0x2001, 0x2002)))
                .isInstanceOf(PublicationFailedException.class)
                .hasMessageContaining("every switched key was restored");
        assertThat(failing.copies.get()).isGreaterThan(3);
        assertThat(S3ProxyServer.snapshot(s3, bucket)).isEqualTo(before);
        // And the same bundle publishes cleanly afterwards.
        assertThat(publish(s3, bundle(4, 0x2001, 0x2002)).refusals()).isEmpty();
    }

    @Test
    void aSecondPublisherIsTurnedAwayWhileOneHoldsTheBucketPrefix() throws Exception {
        publish(s3, bundle(3, 0x2001));
        SortedMap<String, String> before = S3ProxyServer.snapshot(s3, bucket);
        try (var held = new S3Origin(s3, bucket, "repo").lock()) {
            SortedMap<String, String> locked = S3ProxyServer.snapshot(s3, bucket);
            assertThatThrownBy(() -> publish(s3, bundle(4, 0x2002)))
                    .hasMessageContaining("another publisher holds s3://" + bucket + "/repo/.publish.lock");
            assertThat(S3ProxyServer.snapshot(s3, bucket)).isEqualTo(locked);
        }
        assertThat(S3ProxyServer.snapshot(s3, bucket)).isEqualTo(before);
        assertThat(publish(s3, bundle(4, 0x2002)).refusals()).isEmpty();
    }

    @Test
    void aTamperedArtifactIsRefusedAndNothingIsUploaded() throws Exception {
        publish(s3, bundle(3, 0x2001));
        SortedMap<String, String> before = S3ProxyServer.snapshot(s3, bucket);
        BundleBuilder b = bundle(4, 0x2002);
        Path dir = b.write(tmp.resolve("tampered"));
        Files.writeString(dir.resolve("audit/checkpoint.txt"), "shomei-audit-log/v1\n43\nabc\n");
        Verification v = publisher(s3).publish(PublicationBundle.read(dir));
        assertThat(v.refusals()).anySatisfy(r -> assertThat(r.path()).isEqualTo("audit/checkpoint.txt"));
        assertThat(S3ProxyServer.snapshot(s3, bucket)).isEqualTo(before);
    }
}
