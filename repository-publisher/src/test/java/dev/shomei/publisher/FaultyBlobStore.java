package dev.shomei.publisher;

import java.io.InputStream;

import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import org.gaul.s3proxy.blobstore.S3Exceptions;

import software.amazon.awssdk.services.s3.model.CopyObjectRequest;
import software.amazon.awssdk.services.s3.model.CopyObjectResponse;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;

/**
 * The S3 server's store with faults injected on the server side (S3FaultTest): before an object is stored by a PUT
 * or a COPY, the installed {@link Fault} may make the server answer an HTTP error (S3Proxy sends the status of an
 * {@code S3Exception}) or cut the network ({@link CuttableProxy}). The publisher sees what a client of a failing
 * S3 service sees: status codes and dropped connections, through its real HTTP client and the SDK's retries.
 * Test scope only.
 */
final class FaultyBlobStore extends ForwardingBlobStore {

    /** What the server does before it stores {@code key}; throws to fail the request. */
    interface Fault {
        void before(String operation, String key);
    }

    static final Fault NONE = (operation, key) -> { };

    private volatile Fault fault = NONE;

    FaultyBlobStore(BlobStore real) {
        super(real);
    }

    void fault(Fault f) {
        fault = f;
    }

    /** An error status the server answers with (e.g. 503 Service Unavailable, 500 Internal Error). */
    static RuntimeException status(int code) {
        return S3Exceptions.fromStatusCode(code);
    }

    @Override
    public PutObjectResponse putBlob(PutObjectRequest request, InputStream content) {
        try {
            fault.before("PUT", request.key());
        } catch (RuntimeException e) {
            // A server reads the body it was sent, then answers: without this the client may still be writing the
            // body when the error comes and see "Error writing request body" instead of the status.
            try {
                content.transferTo(java.io.OutputStream.nullOutputStream());
            } catch (java.io.IOException ignored) {
                // the connection was cut
            }
            throw e;
        }
        return super.putBlob(request, content);
    }

    @Override
    public CopyObjectResponse copyBlob(CopyObjectRequest request) {
        fault.before("COPY", request.destinationKey());
        return super.copyBlob(request);
    }
}
