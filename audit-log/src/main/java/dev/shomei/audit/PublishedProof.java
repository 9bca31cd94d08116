package dev.shomei.audit;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * A consistency proof as published next to a checkpoint, so that a monitor outside the operator's control can
 * check that the new checkpoint extends the one before it (RFC 9162 §2.1.4) without access to the database.
 *
 * <p>Text format v1, UTF-8, each line ending with LF:
 * <pre>
 * shomei-audit-consistency/v1
 * &lt;origin&gt;
 * &lt;first tree size&gt;
 * &lt;second tree size&gt;
 * &lt;base64 hash&gt;        (one line per proof hash, in RFC 9162 order; none when the sizes are equal or 0)
 * </pre>
 * It carries no signature: the two signed checkpoints are what it is checked against.
 *
 * <p>Zone: all. A value type; touches nothing.
 */
public record PublishedProof(String origin, ConsistencyProof proof) {

    public static final String FORMAT = "shomei-audit-consistency/v1";

    public PublishedProof {
        Checkpoint.checkOrigin(origin);
    }

    public String text() {
        StringBuilder b = new StringBuilder(FORMAT).append('\n').append(origin).append('\n')
                .append(proof.firstSize()).append('\n').append(proof.secondSize()).append('\n');
        for (byte[] h : proof.hashes()) {
            b.append(Base64.getEncoder().encodeToString(h)).append('\n');
        }
        return b.toString();
    }

    public byte[] bytes() {
        return text().getBytes(StandardCharsets.UTF_8);
    }

    /** @throws IllegalArgumentException naming the line that is wrong */
    public static PublishedProof parse(String text) {
        if (text == null || !text.endsWith("\n")) {
            throw new IllegalArgumentException("consistency proof text must end with a line feed");
        }
        List<String> lines = Arrays.asList(text.substring(0, text.length() - 1).split("\n", -1));
        if (lines.size() < 4 || !FORMAT.equals(lines.get(0))) {
            throw new IllegalArgumentException("consistency proof must start with the line '" + FORMAT
                    + "' followed by origin, first size and second size");
        }
        long first = size(lines.get(2), 3);
        long second = size(lines.get(3), 4);
        if (first > second) {
            throw new IllegalArgumentException("consistency proof: first size " + first + " is larger than second size "
                    + second);
        }
        List<byte[]> hashes = new ArrayList<>();
        for (int i = 4; i < lines.size(); i++) {
            try {
                byte[] h = Base64.getDecoder().decode(lines.get(i));
                if (h.length != 32) {
                    throw new IllegalArgumentException("not 32 bytes");
                }
                hashes.add(h);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("consistency proof line " + (i + 1) + " is not a base64 SHA-256 hash: '"
                        + lines.get(i) + "'");
            }
        }
        return new PublishedProof(lines.get(1), new ConsistencyProof(first, second, hashes));
    }

    private static long size(String s, int line) {
        if (!s.matches("0|[1-9][0-9]{0,18}")) {
            throw new IllegalArgumentException("consistency proof line " + line + " must be a tree size, found '" + s + "'");
        }
        return Long.parseLong(s);
    }
}
