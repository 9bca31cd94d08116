package dev.shomei.publisher;

import java.net.URI;
import java.util.SortedMap;
import java.util.TreeMap;

import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;

import dev.shomei.publisher.origin.S3Origin;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A real S3-protocol server (S3Proxy, in-memory store) on a free loopback port, for tests. Credentials go to
 * the publisher the way production passes them: the AWS SDK's standard lookup (here the aws.accessKeyId /
 * aws.secretAccessKey system properties, as the environment variables cannot be set from Java).
 */
final class S3ProxyServer implements AutoCloseable {

    static final String ACCESS_KEY = "publisher-test";
    static final String SECRET_KEY = "publisher-test-secret";

    private final S3Proxy proxy;
    final URI endpoint;

    S3ProxyServer() throws Exception {
        this(new TransientNio2BlobStore());
    }

    /** Serves {@code store} (e.g. an in-memory store wrapped to inject faults, S3FaultTest). */
    S3ProxyServer(org.gaul.s3proxy.blobstore.BlobStore store) throws Exception {
        System.setProperty("aws.accessKeyId", ACCESS_KEY);
        System.setProperty("aws.secretAccessKey", SECRET_KEY);
        proxy = S3Proxy.builder()
                .blobStore(store)
                .endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                .build();
        proxy.start();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!"STARTED".equals(proxy.getState())) {
            if (System.nanoTime() > deadline) {
                proxy.stop();
                throw new IllegalStateException("S3Proxy did not start within 10 s (state " + proxy.getState() + ")");
            }
            Thread.sleep(10); // polling a state with a deadline, not waiting for time to pass
        }
        endpoint = URI.create("http://127.0.0.1:" + proxy.getPort());
    }

    S3Client client() {
        return S3Origin.client(endpoint, "us-east-1");
    }

    /** Every key in the bucket with the SHA-256 of its body and its content type, Cache-Control and metadata. */
    static SortedMap<String, String> snapshot(S3Client s3, String bucket) {
        SortedMap<String, String> out = new TreeMap<>();
        for (S3Object o : s3.listObjectsV2Paginator(ListObjectsV2Request.builder().bucket(bucket).build()).contents()) {
            var bytes = s3.getObject(GetObjectRequest.builder().bucket(bucket).key(o.key()).build(), ResponseTransformer.toBytes());
            var r = bytes.response();
            out.put(o.key(), OriginSnapshot.sha256(bytes.asByteArray()) + " " + r.contentType() + " " + r.cacheControl()
                    + " " + r.metadata());
        }
        return out;
    }

    @Override
    public void close() throws Exception {
        proxy.stop();
    }
}
