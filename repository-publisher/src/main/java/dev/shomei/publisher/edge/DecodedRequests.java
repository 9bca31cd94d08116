package dev.shomei.publisher.edge;

import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The response path each OCSP request already seen led to, by the request's exact form: the text after
 * {@code /ocsp/} for a GET, the DER body for a POST. Decoding a request (base64, the DER OCSPRequest, exactly one
 * Request, the issuer lookup) is a pure function of those bytes and of the CA certificates the edge was started
 * with, and an OCSP GET without a nonce is byte-identical for every client asking about one certificate (RFC 5019
 * §5); so each distinct request is decoded and checked once, and the same request later goes straight to the file.
 * What is read per request is unchanged: the live release, the file and its expiry.
 *
 * <p>Only requests that led to a path are remembered (a malformed or foreign request is decoded every time). Bounded:
 * when full it is emptied and fills again, so that requests made up to fill it cost no more than an edge without it.
 *
 * <p>Online zone (edge). Memory only.
 */
final class DecodedRequests {

    /** About 200 bytes per entry (request, path, map node): at most about 13 MB. */
    static final int MAX_ENTRIES = 65_536;

    private final ConcurrentHashMap<Object, String> paths = new ConcurrentHashMap<>();

    /** The path a GET request's encoded text led to, or null if it has not been seen (or was forgotten). */
    String get(String encoded) {
        return paths.get(encoded);
    }

    /** The path a POST request's DER led to, or null. */
    String get(byte[] der) {
        return paths.get(ByteBuffer.wrap(der));
    }

    void put(String encoded, String path) {
        remember(encoded, path);
    }

    void put(byte[] der, String path) {
        remember(ByteBuffer.wrap(der.clone()), path);
    }

    int size() {
        return paths.size();
    }

    private void remember(Object key, String path) {
        if (paths.size() >= MAX_ENTRIES) {
            paths.clear();
        }
        paths.put(key, path);
    }
}
