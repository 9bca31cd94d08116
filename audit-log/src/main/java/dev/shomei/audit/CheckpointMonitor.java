package dev.shomei.audit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Watches a log from outside, as Certificate Transparency monitors do: keeps every checkpoint it has accepted
 * in a state directory, and accepts a new one only if a trusted key signed it and an RFC 9162 §2.1.4
 * consistency proof shows that it extends (or is extended by) the largest one seen before. A rewritten
 * history, or two signed histories (a fork), is refused and reported; it never replaces what was seen.
 *
 * <p>State: {@code <state>/<origin, percent-encoded>/<tree size>.checkpoint}, each the checkpoint text exactly
 * as published. The first checkpoint seen of a log is accepted on signature alone (trust on first use).
 *
 * <p>Zone: all; meant to run outside the operator's control. Reads and writes only the state directory.
 */
public final class CheckpointMonitor {

    /** Where consistency proofs come from: published proof files, or the log's database. */
    @FunctionalInterface
    public interface ProofSource {
        Optional<ConsistencyProof> prove(String origin, long firstSize, long secondSize);
    }

    public enum Outcome {
        /** The first checkpoint of this log: stored on its signature alone. */
        FIRST_SEEN(true),
        /** Seen before, same root. */
        ALREADY_SEEN(true),
        /** Proven consistent with the largest checkpoint seen; stored. */
        CONSISTENT(true),
        /** Not signed by a trusted key. */
        NOT_SIGNED(false),
        /** Same size as a checkpoint seen before, different root: two histories were signed. */
        FORK(false),
        /** The proof does not link it to what was seen: the history was rewritten. */
        INCONSISTENT(false),
        /** No proof could be obtained; nothing was decided or stored. */
        NO_PROOF(false);

        public final boolean ok;

        Outcome(boolean ok) {
            this.ok = ok;
        }
    }

    public record Observation(Outcome outcome, Checkpoint checkpoint, String message) {}

    private final Path state;
    private final List<PublicKey> trustedKeys;

    public CheckpointMonitor(Path state, Collection<PublicKey> trustedKeys) {
        if (trustedKeys == null || trustedKeys.isEmpty()) {
            throw new IllegalArgumentException("at least one trusted checkpoint key is needed to monitor a log");
        }
        this.state = state;
        this.trustedKeys = List.copyOf(trustedKeys);
    }

    /** The checkpoints accepted so far for a log, by tree size. */
    public TreeMap<Long, Checkpoint> seen(String origin) {
        TreeMap<Long, Checkpoint> seen = new TreeMap<>();
        Path dir = state.resolve(encode(origin));
        if (!Files.isDirectory(dir)) {
            return seen;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.checkpoint")) {
            for (Path f : files) {
                Checkpoint cp = Checkpoint.parse(Files.readString(f, StandardCharsets.UTF_8));
                seen.put(cp.treeSize(), cp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the monitor state " + dir + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new AuditException("the monitor state " + dir + " holds a file that is not a checkpoint ("
                    + e.getMessage() + "); it was changed by hand", e);
        }
        return seen;
    }

    /** Checks one checkpoint against what was seen, stores it if it is accepted, and says what was found. */
    public Observation observe(Checkpoint cp, ProofSource proofs) {
        String log = "log " + cp.origin() + ": checkpoint of size " + cp.treeSize() + " (root " + cp.rootHex() + ")";
        // Step 1: the signature.
        if (cp.signedBy(trustedKeys).isEmpty()) {
            return new Observation(Outcome.NOT_SIGNED, cp, log + " is not signed by a trusted key (it names "
                    + cp.keyName() + "); not stored");
        }
        TreeMap<Long, Checkpoint> seen = seen(cp.origin());
        // Step 2: the same size seen before must have the same root.
        Checkpoint same = seen.get(cp.treeSize());
        if (same != null) {
            if (MessageDigest.isEqual(same.rootHash(), cp.rootHash())) {
                return new Observation(Outcome.ALREADY_SEEN, cp, log + " was seen before");
            }
            return new Observation(Outcome.FORK, cp, "FORK: " + log + " differs from the checkpoint of the same size"
                    + " seen before (root " + same.rootHex() + ", signed " + Checkpoint.TIME.format(same.time())
                    + "): the log signed two different histories");
        }
        if (seen.isEmpty()) {
            store(cp);
            return new Observation(Outcome.FIRST_SEEN, cp, log + ": first checkpoint of this log, stored (trust on"
                    + " first use; later checkpoints must extend it)");
        }
        // Step 3: a consistency proof against the largest seen (or, for an older one, from it to the largest).
        Checkpoint largest = seen.lastEntry().getValue();
        Checkpoint first = cp.treeSize() < largest.treeSize() ? cp : largest;
        Checkpoint second = first == cp ? largest : cp;
        Optional<ConsistencyProof> proof = proofs.prove(cp.origin(), first.treeSize(), second.treeSize());
        if (proof.isEmpty()) {
            return new Observation(Outcome.NO_PROOF, cp, log + ": no consistency proof from size " + first.treeSize()
                    + " to " + second.treeSize() + " was found; give the proof file published with it, or the log's"
                    + " database; not stored");
        }
        ConsistencyProof p = proof.get();
        if (p.firstSize() != first.treeSize() || p.secondSize() != second.treeSize()
                || !p.check(first.rootHash(), second.rootHash())) {
            return new Observation(Outcome.INCONSISTENT, cp, "REWRITTEN: " + log + " is not consistent with the"
                    + " checkpoint of size " + (first == cp ? second : first).treeSize() + " seen before (RFC 9162"
                    + " §2.1.4 proof from " + first.treeSize() + " to " + second.treeSize() + " fails): entries the"
                    + " earlier checkpoint covered were changed or removed");
        }
        store(cp);
        return new Observation(Outcome.CONSISTENT, cp, log + ": consistent with the checkpoint of size "
                + (first == cp ? second : first).treeSize() + " seen before (RFC 9162 §2.1.4), stored");
    }

    private void store(Checkpoint cp) {
        Path dir = state.resolve(encode(cp.origin()));
        try {
            Files.createDirectories(dir);
            Path target = dir.resolve(cp.treeSize() + ".checkpoint");
            Path tmp = Files.createTempFile(dir, "incoming-", ".tmp");
            Files.writeString(tmp, cp.text(), StandardCharsets.UTF_8);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot store the checkpoint in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** A file name for an origin: letters, digits, '.', '-', '_' kept, everything else percent-encoded. */
    static String encode(String origin) {
        StringBuilder b = new StringBuilder();
        for (byte x : origin.getBytes(StandardCharsets.UTF_8)) {
            char ch = (char) (x & 0xff);
            if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-'
                    || ch == '_' || (ch == '.' && b.length() > 0)) {
                b.append(ch);
            } else {
                b.append('%').append(String.format("%02X", x & 0xff));
            }
        }
        return b.toString();
    }
}
