package dev.shomei.audit;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.format.ResolverStyle;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A signed statement "the log {@code origin} had {@code treeSize} entries with this root hash at
 * {@code time}". Published next to the CRLs, it lets anyone detect a rewritten history: a later
 * checkpoint must be consistent with it (RFC 9162 §2.1.4), and no two may differ at the same size.
 *
 * <p>Text form, version 1 (UTF-8, every line ends with LF):
 * <pre>
 * shomei-audit-checkpoint/v1
 * &lt;origin&gt;
 * &lt;tree size, decimal&gt;
 * &lt;root hash, base64&gt;
 * &lt;time, uuuu-MM-ddTHH:mm:ss.SSSSSSZ&gt;
 *
 * signature &lt;key name&gt; &lt;JCA algorithm&gt; &lt;signature, base64&gt;
 * </pre>
 * The signature covers the first five lines including their line feeds ({@link #body()}).
 *
 * <p>Zone: all. A value type; verification uses only the public keys it is given.
 */
public record Checkpoint(String origin, long treeSize, byte[] rootHash, Instant time, String keyName,
                         String algorithm, byte[] signature) {

    public static final String FORMAT = "shomei-audit-checkpoint/v1";

    /** Signature algorithms a checkpoint may name; anything else (SHA-1, unknown names) is refused. */
    static final Set<String> ALGORITHMS = Set.of("SHA256withECDSA", "SHA384withECDSA", "SHA512withECDSA",
            "SHA256withRSA", "SHA384withRSA", "SHA512withRSA", "Ed25519", "Ed448");

    static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'")
            .withZone(ZoneOffset.UTC).withResolverStyle(ResolverStyle.STRICT);

    public Checkpoint {
        origin = checkOrigin(origin);
        if (treeSize < 0) {
            throw new IllegalArgumentException("checkpoint tree size must not be negative: " + treeSize);
        }
        if (!MerkleTree.isHash(rootHash)) {
            throw new IllegalArgumentException("checkpoint root hash must be 32 bytes");
        }
        rootHash = rootHash.clone();
        time = Objects.requireNonNull(time, "time").truncatedTo(ChronoUnit.MICROS);
        keyName = checkKeyName(keyName);
        algorithm = checkAlgorithm(algorithm);
        if (signature == null || signature.length == 0) {
            throw new IllegalArgumentException("checkpoint signature is missing");
        }
        signature = signature.clone();
    }

    /** Signs a checkpoint of the given tree with {@code signer}. */
    public static Checkpoint sign(String origin, long treeSize, byte[] rootHash, Instant time, CheckpointSigner signer) {
        Instant t = time.truncatedTo(ChronoUnit.MICROS);
        byte[] body = body(checkOrigin(origin), treeSize, rootHash, t);
        byte[] sig = signer.sign(body);
        return new Checkpoint(origin, treeSize, rootHash, t, signer.keyName(), signer.algorithm(), sig);
    }

    @Override
    public byte[] rootHash() {
        return rootHash.clone();
    }

    @Override
    public byte[] signature() {
        return signature.clone();
    }

    /** The signed bytes: the first five lines of the text form. */
    public byte[] body() {
        return body(origin, treeSize, rootHash, time);
    }

    private static byte[] body(String origin, long treeSize, byte[] rootHash, Instant time) {
        return (FORMAT + "\n" + origin + "\n" + treeSize + "\n" + Base64.getEncoder().encodeToString(rootHash) + "\n"
                + TIME.format(time) + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /** The full text form, as published and stored. */
    public String text() {
        return new String(body(), StandardCharsets.UTF_8) + "\n" + "signature " + keyName + " " + algorithm + " "
                + Base64.getEncoder().encodeToString(signature) + "\n";
    }

    /**
     * Parses the text form strictly: exactly the lines above, canonical numbers, base64 and time, so that
     * a parsed checkpoint prints back to the same text.
     *
     * @throws IllegalArgumentException naming the line that is wrong
     */
    public static Checkpoint parse(String text) {
        if (text == null || !text.endsWith("\n")) {
            throw new IllegalArgumentException("checkpoint text must end with a line feed");
        }
        List<String> lines = Arrays.asList(text.substring(0, text.length() - 1).split("\n", -1));
        if (lines.size() != 7) {
            throw new IllegalArgumentException("checkpoint text must have 7 lines (5 body lines, a blank line,"
                    + " a signature line), found " + lines.size());
        }
        if (!FORMAT.equals(lines.get(0))) {
            throw new IllegalArgumentException("checkpoint line 1 must be '" + FORMAT + "', found '" + lines.get(0) + "'");
        }
        String origin = lines.get(1);
        String sizeText = lines.get(2);
        if (!sizeText.matches("0|[1-9][0-9]{0,18}")) {
            throw new IllegalArgumentException("checkpoint line 3 (tree size) must be a decimal number, found '"
                    + sizeText + "'");
        }
        long size = Long.parseLong(sizeText);
        byte[] root = base64("line 4 (root hash)", lines.get(3));
        Instant time;
        try {
            time = Instant.from(TIME.parse(lines.get(4)));
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("checkpoint line 5 (time) must look like 2026-01-31T23:59:59.000000Z,"
                    + " found '" + lines.get(4) + "'");
        }
        if (!lines.get(5).isEmpty()) {
            throw new IllegalArgumentException("checkpoint line 6 must be empty, found '" + lines.get(5) + "'");
        }
        String[] sig = lines.get(6).split(" ", -1);
        if (sig.length != 4 || !"signature".equals(sig[0])) {
            throw new IllegalArgumentException("checkpoint line 7 must be 'signature <key name> <algorithm> <base64>',"
                    + " found '" + lines.get(6) + "'");
        }
        try {
            return new Checkpoint(origin, size, root, time, sig[1], sig[2], base64("line 7 (signature)", sig[3]));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("checkpoint: " + e.getMessage(), e);
        }
    }

    private static byte[] base64(String where, String s) {
        try {
            byte[] b = Base64.getDecoder().decode(s);
            if (!Base64.getEncoder().encodeToString(b).equals(s)) {
                throw new IllegalArgumentException("non-canonical");
            }
            return b;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("checkpoint " + where + " is not canonical base64: '" + s + "'");
        }
    }

    /** True when {@code key} produced this checkpoint's signature over its body. */
    public boolean verify(PublicKey key) {
        try {
            Signature s = Signature.getInstance(algorithm);
            s.initVerify(key);
            s.update(body());
            return s.verify(signature);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            // A key of another type or a malformed signature is simply not a valid signature by this key.
            return false;
        }
    }

    /** The first of {@code keys} that verifies this checkpoint, if any. */
    public Optional<PublicKey> signedBy(Collection<PublicKey> keys) {
        return keys.stream().filter(this::verify).findFirst();
    }

    /** Same origin, size and root: the two checkpoints describe the same tree. */
    public boolean sameTree(Checkpoint other) {
        return origin.equals(other.origin) && treeSize == other.treeSize
                && MessageDigest.isEqual(rootHash, other.rootHash);
    }

    public String rootHex() {
        return HexFormat.of().formatHex(rootHash);
    }

    public String rootBase64() {
        return Base64.getEncoder().encodeToString(rootHash);
    }

    static String checkOrigin(String origin) {
        if (origin == null || origin.isEmpty() || !origin.strip().equals(origin)
                || origin.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("log origin must be non-empty text without line breaks or surrounding"
                    + " spaces, e.g. 'shomei.example/ca-secure'; found '" + origin + "'");
        }
        Text.checked("log origin", origin);
        return origin;
    }

    static String checkKeyName(String keyName) {
        if (keyName == null || keyName.isEmpty() || keyName.chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
            throw new IllegalArgumentException("checkpoint key name must be non-empty without spaces, e.g."
                    + " 'pkcs11:token=ca;object=audit-2026'; found '" + keyName + "'");
        }
        return Text.checked("key name", keyName);
    }

    static String checkAlgorithm(String algorithm) {
        if (!ALGORITHMS.contains(algorithm)) {
            throw new IllegalArgumentException("checkpoint signature algorithm '" + algorithm
                    + "' is not accepted; use one of " + ALGORITHMS);
        }
        return algorithm;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Checkpoint c && text().equals(c.text());
    }

    @Override
    public int hashCode() {
        return text().hashCode();
    }

    @Override
    public String toString() {
        return "Checkpoint[" + origin + ", size " + treeSize + ", root " + rootHex() + ", " + TIME.format(time)
                + ", key " + keyName + "]";
    }
}
