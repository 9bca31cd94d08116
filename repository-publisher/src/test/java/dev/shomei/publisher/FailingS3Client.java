package dev.shomei.publisher;

import java.util.concurrent.atomic.AtomicInteger;

import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CopyObjectRequest;
import software.amazon.awssdk.services.s3.model.CopyObjectResponse;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectResponse;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;

/**
 * A real S3 client that starts failing after a number of uploads or copies, as a connection dropping part-way
 * through a publication would. Every call before that goes to the real server.
 */
final class FailingS3Client implements S3Client {

    private final S3Client real;
    private final int putsBeforeFailure;
    private final int copiesBeforeFailure;
    final AtomicInteger puts = new AtomicInteger();
    final AtomicInteger copies = new AtomicInteger();

    FailingS3Client(S3Client real, int putsBeforeFailure, int copiesBeforeFailure) {
        this.real = real;
        this.putsBeforeFailure = putsBeforeFailure;
        this.copiesBeforeFailure = copiesBeforeFailure;
    }

    @Override
    public PutObjectResponse putObject(PutObjectRequest request, RequestBody body) {
        if (puts.incrementAndGet() > putsBeforeFailure) {
            throw SdkClientException.create("connection reset (injected after " + putsBeforeFailure + " uploads)");
        }
        return real.putObject(request, body);
    }

    @Override
    public CopyObjectResponse copyObject(CopyObjectRequest request) {
        // Only copies onto live keys count: rollback copies (from .previous/) must still work.
        boolean ontoLive = !request.destinationKey().contains(".previous/") && !request.sourceKey().contains(".previous/");
        if (ontoLive && copies.incrementAndGet() > copiesBeforeFailure) {
            throw SdkClientException.create("connection reset (injected after " + copiesBeforeFailure + " switches)");
        }
        return real.copyObject(request);
    }

    @Override
    public <T> T getObject(GetObjectRequest request, ResponseTransformer<GetObjectResponse, T> transformer) {
        return real.getObject(request, transformer);
    }

    @Override
    public HeadObjectResponse headObject(HeadObjectRequest request) {
        return real.headObject(request);
    }

    @Override
    public DeleteObjectResponse deleteObject(DeleteObjectRequest request) {
        return real.deleteObject(request);
    }

    @Override
    public String serviceName() {
        return real.serviceName();
    }

    @Override
    public void close() {
        real.close();
    }
}
