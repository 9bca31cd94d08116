package dev.shomei.publisher.origin;

import java.io.IOException;
import java.io.InputStream;

/**
 * One object to put on the origin: its path relative to the repository root, exact bytes and headers. The bytes
 * are a {@link Body}: in memory for an artifact, or read from the bundle for what is too large to hold (the signed
 * manifest of a bundle of millions of responses).
 */
public record OriginObject(String path, Body body, ObjectHeaders headers) {

    /** Below this size a body is handed to the origin as one array; above it, as a stream. */
    public static final long IN_MEMORY = 16L << 20;

    public OriginObject(String path, byte[] content, ObjectHeaders headers) {
        this(path, Body.of(content), headers);
    }

    /** The exact bytes of an object, which can be read more than once (to write, then to read back and compare). */
    public interface Body {
        long size();

        InputStream open() throws IOException;

        /** The bytes in memory: only for a body of at most {@link #IN_MEMORY} bytes. */
        default byte[] bytes() throws IOException {
            if (size() > IN_MEMORY) {
                throw new IllegalStateException("a body of " + size() + " bytes is streamed, not held in memory");
            }
            try (InputStream in = open()) {
                return in.readAllBytes();
            }
        }

        static Body of(byte[] content) {
            return new Body() {
                @Override
                public long size() {
                    return content.length;
                }

                @Override
                public InputStream open() {
                    return new java.io.ByteArrayInputStream(content);
                }

                @Override
                public byte[] bytes() {
                    return content;
                }
            };
        }
    }
}
