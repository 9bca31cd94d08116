package dev.shomei.publisher.bundle;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.NoSuchElementException;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

/**
 * Reads manifest.json as a stream (Jackson's token parser): the header fields first, skipping the artifact list,
 * then the artifacts one at a time. A manifest of ten million artifacts (~3 GB) is never held in memory.
 *
 * <p>Online zone; reads the bundle's manifest only.
 */
final class ManifestReader {

    private ManifestReader() {
    }

    /** format, bundleId, createdAt and issuer; {@code artifacts} is null if the manifest has no artifact array, else empty. */
    static Manifest header(PublicationBundle bundle) throws IOException {
        String format = null;
        String bundleId = null;
        String createdAt = null;
        String issuer = null;
        boolean artifacts = false;
        try (InputStream in = bundle.openManifest(); JsonParser p = Manifest.JSON.getFactory().createParser(in)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("manifest.json is not a JSON object");
            }
            for (JsonToken t; (t = p.nextToken()) == JsonToken.FIELD_NAME; ) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                switch (field) {
                    case "format" -> format = text(p, value, field);
                    case "bundleId" -> bundleId = text(p, value, field);
                    case "createdAt" -> createdAt = text(p, value, field);
                    case "issuer" -> issuer = text(p, value, field);
                    case "artifacts" -> {
                        if (value != JsonToken.VALUE_NULL && value != JsonToken.START_ARRAY) {
                            throw new IOException("\"artifacts\" is not an array");
                        }
                        artifacts = value == JsonToken.START_ARRAY;
                        p.skipChildren();
                    }
                    default -> p.skipChildren();
                }
            }
            if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
                throw new IOException("manifest.json has content after its object");
            }
        }
        return new Manifest(format, bundleId, createdAt, issuer, artifacts ? java.util.List.of() : null);
    }

    private static String text(JsonParser p, JsonToken value, String field) throws IOException {
        if (value == JsonToken.VALUE_NULL) {
            return null;
        }
        if (value != JsonToken.VALUE_STRING) {
            throw new IOException("\"" + field + "\" is not a string");
        }
        return p.getText();
    }

    /** The artifact entries in listed order (null for a JSON null entry); a parse failure part-way is unchecked. */
    static Artifacts artifacts(PublicationBundle bundle) throws IOException {
        java.security.DigestInputStream in = new java.security.DigestInputStream(bundle.openManifest(), BundleVerifier.sha256());
        JsonParser p = Manifest.JSON.getFactory().createParser(in);
        // The stream is read to its end afterwards, for its digest: the parser must not close it at end of input.
        p.disable(JsonParser.Feature.AUTO_CLOSE_SOURCE);
        try {
            p.nextToken();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if (field.equals("artifacts") && value == JsonToken.START_ARRAY) {
                    return new Artifacts(p, in);
                }
                p.skipChildren();
            }
        } catch (IOException | RuntimeException e) {
            p.close();
            in.close();
            throw e;
        }
        return new Artifacts(p, in);
    }

    /** An iterator over the artifact array that closes the manifest when done. */
    static final class Artifacts implements Iterator<Manifest.Artifact>, AutoCloseable {
        private final JsonParser p;
        private final java.security.DigestInputStream in;
        private boolean ahead;
        private boolean end;

        Artifacts(JsonParser p, java.security.DigestInputStream in) {
            this.p = p;
            this.in = in;
            this.end = p.currentToken() != JsonToken.START_ARRAY;
        }

        /** SHA-256 of the whole manifest as this pass read it (the rest of the file is read to the end). */
        String drainedSha256() throws IOException {
            in.transferTo(java.io.OutputStream.nullOutputStream());
            return java.util.HexFormat.of().formatHex(in.getMessageDigest().digest());
        }

        @Override
        public boolean hasNext() {
            if (!ahead && !end) {
                try {
                    end = p.nextToken() == JsonToken.END_ARRAY;
                } catch (IOException e) {
                    throw new UncheckedIOException(e.getMessage(), e);
                }
                ahead = !end;
            }
            return !end;
        }

        @Override
        public Manifest.Artifact next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            ahead = false;
            try {
                if (p.currentToken() == JsonToken.VALUE_NULL) {
                    return null;
                }
                return Manifest.JSON.readValue(p, Manifest.Artifact.class);
            } catch (IOException e) {
                throw new UncheckedIOException(e.getMessage(), e);
            }
        }

        @Override
        public void close() {
            try {
                p.close();
                in.close();
            } catch (IOException e) {
                // read-only
            }
        }
    }
}
