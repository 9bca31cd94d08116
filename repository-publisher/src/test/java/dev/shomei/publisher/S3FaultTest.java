package dev.shomei.publisher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.publisher.cli.PublisherCli;
import dev.shomei.publisher.origin.LiveManifest;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CreateBucketRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;

/**
 * The S3 origin under faults (docs/faults.md): a real S3-protocol server (S3Proxy) that answers 503 for some
 * uploads or switches, or disappears from the network part-way through a publication (its connections cut, new ones
 * refused) and comes back. The publisher runs as the operator runs it ({@code publisher publish}, real HTTP client,
 * the SDK's retries) and must fail with exit code 3 and a message saying what is live; the published set (every
 * live key, by content) is then the old one, except after a disappearance during the switch, where the message names
 * the keys that may hold the new version; after the rerun it is the new one, whole. Nothing is ever torn: every live
 * object is whole and is the old or the new bundle's. The first case is in the normal build (tag fault-slice), the
 * others in the fault suite.
 */
class S3FaultTest {

    static final TestPki PKI = new TestPki();
    static final List<String> SUMMARY = new ArrayList<>();
    static FaultyBlobStore store;
    static S3ProxyServer server;
    static CuttableProxy network;
    static S3Client s3;
    static int buckets;

    @TempDir Path tmp;
    Path ca;
    String bucket;
    Path first;
    Path second;

    @BeforeAll
    static void startServer() throws Exception {
        store = new FaultyBlobStore(new TransientNio2BlobStore());
        server = new S3ProxyServer(store);
        network = new CuttableProxy(server.endpoint.getPort());
        s3 = server.client(); // the test's own view, straight to the server
    }

    @AfterAll
    static void stopServer() throws Exception {
        System.out.println("fault suite (S3 origin): " + SUMMARY.size() + " fault(s) exercised");
        SUMMARY.forEach(s -> System.out.println("  " + s));
        network.close();
        s3.close();
        server.close();
    }

    @BeforeEach
    void firstBundlePublished() throws Exception {
        store.fault(FaultyBlobStore.NONE);
        network.restore();
        bucket = "faults-" + (++buckets);
        s3.createBucket(CreateBucketRequest.builder().bucket(bucket).build());
        ca = tmp.resolve("ca");
        PKI.writeCaFiles(ca);
        PKI.writePublicationSigner(ca);
        first = new BundleBuilder(PKI).crlNumber(8).ocsp(BigInteger.valueOf(0x6001)).ocsp(BigInteger.valueOf(0x6002))
                .write(tmp.resolve("b1"));
        second = new BundleBuilder(PKI).crlNumber(9).ocsp(BigInteger.valueOf(0x6002)).ocsp(BigInteger.valueOf(0x6003))
                .write(tmp.resolve("b2"));
        Run r = publish(first);
        assertThat(r.exit).as(r.err).isZero();
    }

    /** The normal build's slice (a few seconds); the rest is in the fault suite. */
    @Test
    @Tag("fault-slice")
    void aServerAnswering503ForEveryUploadFromTheFourthFailsTheStagingAndLeavesTheOldSet() throws Exception {
        SortedMap<String, String> old = live();
        AtomicInteger uploads = new AtomicInteger();
        store.fault((op, key) -> {
            if (op.equals("PUT") && key.contains("/.staging/") && uploads.incrementAndGet() >= 4) {
                throw FaultyBlobStore.status(503);
            }
        });
        Run r = publish(second);
        assertThat(r.exit).as(r.err).isEqualTo(PublisherCli.IO_FAILURE);
        assertThat(r.err).contains("failed while staging; no live object was touched").contains("503");
        assertThat(live()).as("the published set is the old one").isEqualTo(old);
        assertThat(uploads.get()).as("the SDK retried the failing upload before giving up").isGreaterThan(4);

        store.fault(FaultyBlobStore.NONE);
        rerunIsWhole("503 on every upload from #4 (staging): exit 3, 'no live object was touched', old set");
    }

    @Test
    @Tag("fault")
    void aServerAnswering503ForTheThirdSwitchedKeyRollsBackToTheOldSet() throws Exception {
        SortedMap<String, String> old = live();
        AtomicInteger switches = new AtomicInteger();
        String[] failing = new String[1];
        store.fault((op, key) -> {
            boolean ontoLive = op.equals("COPY") && !key.contains("/.previous/") && !key.contains("/.staging/");
            if (ontoLive && failing[0] == null && switches.incrementAndGet() == 3) {
                failing[0] = key;
            }
            if (ontoLive && key.equals(failing[0])) {
                throw FaultyBlobStore.status(500);
            }
        });
        Run r = publish(second);
        assertThat(r.exit).as(r.err).isEqualTo(PublisherCli.IO_FAILURE);
        assertThat(r.err).contains("failed after 3 of").contains("every switched key was restored");
        assertThat(live()).as("the switched keys were restored: the published set is the old one").isEqualTo(old);

        store.fault(FaultyBlobStore.NONE);
        rerunIsWhole("500 on the switch of live key #3 (every retry): exit 3, 'every switched key was restored', old set");
    }

    @Test
    @Tag("fault")
    void aServerDisappearingDuringTheUploadsFailsByNameAndTheRerunPublishesOnceTheLockIsCleared() throws Exception {
        SortedMap<String, String> old = live();
        AtomicInteger uploads = new AtomicInteger();
        store.fault((op, key) -> {
            if (op.equals("PUT") && key.contains("/.staging/") && uploads.incrementAndGet() == 4) {
                network.cut();
                throw FaultyBlobStore.status(503); // never reaches the publisher: the connection is gone
            }
        });
        Run r = publish(second);
        assertThat(r.exit).as(r.err).isEqualTo(PublisherCli.IO_FAILURE);
        assertThat(r.err).contains("failed while staging; no live object was touched")
                .contains("cannot release the publisher lock s3://" + bucket + "/repo/.publish.lock");

        store.fault(FaultyBlobStore.NONE);
        network.restore();
        assertThat(live()).as("the published set is the old one").isEqualTo(old);
        String afterCrash = lockLeftThenCleared();
        rerunIsWhole("server gone at upload #4 (staging): exit 3, 'no live object was touched', lock left, old set; "
                + afterCrash);
    }

    @Test
    @Tag("fault")
    void aServerDisappearingDuringTheSwitchNamesTheKeysAndTheRerunCompletesThePublication() throws Exception {
        SortedMap<String, String> old = live();
        AtomicInteger switches = new AtomicInteger();
        store.fault((op, key) -> {
            boolean ontoLive = op.equals("COPY") && !key.contains("/.previous/") && !key.contains("/.staging/");
            if (ontoLive && switches.incrementAndGet() == 3) {
                network.cut();
                throw FaultyBlobStore.status(503);
            }
        });
        Run r = publish(second);
        assertThat(r.exit).as(r.err).isEqualTo(PublisherCli.IO_FAILURE);
        assertThat(r.err).contains("could not be restored and may hold the new version")
                .contains("re-run the same bundle to complete it");

        store.fault(FaultyBlobStore.NONE);
        network.restore();
        // S3 has no multi-object switch (S3Origin): until the rerun some keys may be new, the rest old; each is whole.
        SortedMap<String, String> now = live();
        Set<String> oldKeys = old.keySet();
        for (var e : now.entrySet()) {
            String path = e.getKey().substring("repo/".length());
            boolean isOld = e.getValue().equals(old.get(e.getKey()));
            boolean isNew = Files.exists(second.resolve(path))
                    && sha(Files.readAllBytes(second.resolve(path))).equals(e.getValue().split(" ")[0]);
            assertThat(isOld || isNew || path.equals(LiveManifest.PATH)).as(e.getKey() + " is the old or the new one, whole")
                    .isTrue();
        }
        assertThat(LiveManifest.parse(object("repo/" + LiveManifest.PATH)).bundleId())
                .as("the live manifest, switched last, still names the old bundle").isEqualTo(PublicationFaultTest.bundleId(first));
        assertThat(now.keySet()).containsAll(oldKeys);
        String afterCrash = lockLeftThenCleared();
        rerunIsWhole("server gone at live key #3 (switch): exit 3, the keys that may be new named, lock left,"
                + " each live object whole (old or new); " + afterCrash);
    }

    /** A publisher that could not release its lock leaves it: the rerun is turned away by name until it is deleted. */
    private String lockLeftThenCleared() throws Exception {
        Run refused = publish(second);
        assertThat(refused.exit).as(refused.err).isEqualTo(PublisherCli.IO_FAILURE);
        assertThat(refused.err).contains("another publisher holds s3://" + bucket + "/repo/.publish.lock")
                .contains("delete that key if no publisher is running");
        // The operator's step, as the message says.
        s3.deleteObject(DeleteObjectRequest.builder().bucket(bucket).key("repo/.publish.lock").build());
        return "rerun refused by the lock (exit 3, named), lock deleted";
    }

    /** The rerun (faults gone) exits 0 and the published set is exactly the new one, whole; nothing left over. */
    private void rerunIsWhole(String summary) throws Exception {
        Run r = publish(second);
        assertThat(r.exit).as(r.err).isZero();
        assertThat(r.out).contains("published to s3://" + bucket + "/repo/");
        LiveManifest manifest = LiveManifest.parse(object("repo/" + LiveManifest.PATH));
        assertThat(manifest.bundleId()).isEqualTo(PublicationFaultTest.bundleId(second));
        for (LiveManifest.Entry e : manifest.artifacts()) {
            assertThat(sha(object("repo/" + e.path()))).as("live " + e.path() + " matches the live manifest").isEqualTo(e.sha256());
        }
        Set<String> expected = new TreeSet<>();
        for (Path b : List.of(first, second)) {
            try (Stream<Path> walk = Files.walk(b)) {
                for (Path p : walk.filter(Files::isRegularFile).toList()) {
                    expected.add("repo/" + b.relativize(p));
                }
            }
        }
        expected.add("repo/" + LiveManifest.PATH);
        // The live OCSP index's shards, each listed in the live manifest.
        manifest.artifacts().stream().filter(e -> dev.shomei.publisher.origin.LiveOcspIndex.KIND.equals(e.kind()))
                .forEach(e -> expected.add("repo/" + e.path()));
        assertThat(S3ProxyServer.snapshot(s3, bucket).keySet()).as("the new set, and no staging, previous or lock key")
                .isEqualTo(expected);
        try (Stream<Path> walk = Files.walk(second)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                assertThat(object("repo/" + second.relativize(p))).as("live " + second.relativize(p))
                        .isEqualTo(Files.readAllBytes(p));
            }
        }
        SUMMARY.add("publish s3 " + summary + "; rerun exit 0, new set whole");
    }

    record Run(int exit, String out, String err) { }

    /** {@code publisher publish} against the server through the network that can be cut. */
    private Run publish(Path bundle) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = PublisherCli.run(Clock.systemUTC(), new PrintWriter(out), new PrintWriter(err), "publish",
                "--bundle", bundle.toString(), "--s3-endpoint", "http://127.0.0.1:" + network.port(),
                "--s3-bucket", bucket, "--s3-prefix", "repo",
                "--ca-cert", ca.resolve("issuing.pem").toString(), "--ca-cert", ca.resolve("root.pem").toString(),
                "--publication-signer-cert", ca.resolve("publication-signer.pem").toString());
        return new Run(exit, out.toString(), err.toString());
    }

    /** The published set: every live key (not staging, previous or the lock) with its content and metadata. */
    private SortedMap<String, String> live() {
        SortedMap<String, String> out = new TreeMap<>(S3ProxyServer.snapshot(s3, bucket));
        out.keySet().removeIf(k -> k.startsWith("repo/."));
        return out;
    }

    private byte[] object(String key) {
        return s3.getObject(GetObjectRequest.builder().bucket(bucket).key(key).build(), ResponseTransformer.toBytes())
                .asByteArray();
    }

    private static String sha(byte[] b) {
        return OriginSnapshot.sha256(b);
    }
}
