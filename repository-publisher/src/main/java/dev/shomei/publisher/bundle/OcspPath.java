package dev.shomei.publisher.bundle;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a pre-signed OCSP response lives, in a bundle and on the origin:
 * {@code ocsp/<SHA-1 issuerKeyHash>/<first two hex digits of the serial>/<serial>.der}, the serial in lowercase hex
 * without leading zeros (docs/publication-bundle.md).
 *
 * <p>The two-digit directory keeps every directory small: one directory per issuer key held ~9 million names before
 * ext4 (without {@code large_dir}) refused more, and spread over the serial's first two digits (serials of
 * 125–127 bits begin with 1–7: ~112 directories in use) 10 million were at most 117,706 a directory, 100 million about
 * 1.2 million. The order of these paths is the order of the serials as text (the
 * directory is a prefix of the file name, and {@code /} sorts before every hex digit as {@code .} does), so a
 * bundle in path order is still in serial order and the live OCSP index's shards (by the serial's first three digits,
 * a finer cut of the same order) are visited once each.
 */
public final class OcspPath {

    /** This layout; group 1 the issuer key hash, 2 the fan-out directory, 3 the serial. */
    private static final Pattern PATH = Pattern.compile("ocsp/([0-9a-f]{40})/([0-9a-f]{1,2})/([0-9a-f]+)\\.der");
    /** The layout before the fan-out (one directory per issuer key), still found on origins not yet republished. */
    private static final Pattern FLAT = Pattern.compile("ocsp/([0-9a-f]{40})/([0-9a-f]+)\\.der");

    public static final String FORM = "ocsp/<40 hex issuerKeyHash>/<first 2 hex of the serial>/<lowercase hex serial>.der";

    /** An issuer key hash and a serial, both lowercase hex. */
    public record Id(String issuerKeyHash, String serial) { }

    private OcspPath() {
    }

    public static String of(String issuerKeyHash, String serialHex) {
        return "ocsp/" + issuerKeyHash + "/" + fanOut(serialHex) + "/" + serialHex + ".der";
    }

    /** The fan-out directory of a serial: its first two hex digits (the whole serial when it has one). */
    public static String fanOut(String serialHex) {
        return serialHex.substring(0, Math.min(2, serialHex.length()));
    }

    /** The response this path names, when it is in this layout and its directory is its serial's. */
    public static Optional<Id> parse(String path) {
        Matcher m = PATH.matcher(path);
        if (!m.matches() || !m.group(2).equals(fanOut(m.group(3))) || m.group(3).startsWith("0")) {
            return Optional.empty();
        }
        return Optional.of(new Id(m.group(1), m.group(3)));
    }

    /** Where a release published before the fan-out keeps this response (read until the next publication moves it). */
    public static String beforeFanOut(Id id) {
        return "ocsp/" + id.issuerKeyHash() + "/" + id.serial() + ".der";
    }

    /** The path in this layout of a response stored in the layout before the fan-out; empty for anything else. */
    public static Optional<String> fromFlat(String path) {
        Matcher m = FLAT.matcher(path);
        return m.matches() ? Optional.of(of(m.group(1), m.group(2))) : Optional.empty();
    }
}
