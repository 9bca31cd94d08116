package dev.shomei.audit;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * What {@link AuditVerifier} found: the checks that passed and every problem, each naming the entry
 * (sequence number) or checkpoint it concerns, and, for hash mismatches, the expected and found hash.
 *
 * <p>Zone: all. A value type; touches nothing.
 *
 * @param source             what was verified (a database URL without credentials, or an export file)
 * @param origin             the log's origin, or null if it could not be determined
 * @param entriesChecked     entries read and re-hashed
 * @param checkpointsChecked checkpoints read
 * @param passed             human-readable lines, one per check that passed
 * @param problems           everything wrong, in the order found
 * @param moreProblems       true when problems beyond {@link AuditVerifier#MAX_PROBLEMS} were not listed
 */
public record VerificationReport(String source, String origin, long entriesChecked, long checkpointsChecked,
                                 List<String> passed, List<Problem> problems, boolean moreProblems) {

    public VerificationReport {
        passed = List.copyOf(passed);
        problems = List.copyOf(problems);
    }

    /** What kind of damage a problem shows. */
    public enum Kind {
        /** An entry's content no longer hashes to its stored entry hash. */
        ENTRY_CHANGED,
        /** An entry does not link to its predecessor (one of them was rewritten with a new hash). */
        CHAIN_BROKEN,
        /** A sequence number is missing: a deleted row, or rows removed from the end. */
        ENTRY_MISSING,
        /** A row cannot be read as an entry, or appears out of order. */
        ENTRY_MALFORMED,
        /** The head row disagrees with the stored entries. */
        HEAD_MISMATCH,
        /** A checkpoint cannot be parsed, or its stored columns disagree with its signed text. */
        CHECKPOINT_MALFORMED,
        /** A checkpoint is not signed by any trusted key. */
        CHECKPOINT_SIGNATURE,
        /** A checkpoint names another log. */
        CHECKPOINT_ORIGIN,
        /** A checkpoint covers entries that are no longer there. */
        CHECKPOINT_NOT_COVERED,
        /** A checkpoint's signed root differs from the root of the entries. */
        CHECKPOINT_ROOT_MISMATCH,
        /** Two checkpoints of the same size have different roots: two histories were signed. */
        FORK,
        /** A later checkpoint is not an extension of an earlier one (RFC 9162 §2.1.4), or the tree shrank. */
        INCONSISTENT_CHECKPOINTS,
        /** An exported entry's inclusion proof does not lead to the checkpoint's root (RFC 9162 §2.1.3). */
        INCLUSION_PROOF,
        /** The export does not belong to the checkpoint it is verified against, or is incomplete. */
        EXPORT_MISMATCH,
        /** The log has entries but no signed checkpoint anchors them. */
        NOT_ANCHORED
    }

    /**
     * One thing that is wrong.
     *
     * @param seq      the entry concerned, or {@link #NO_SEQ}
     * @param expected the hash the log committed to (hex), or null
     * @param found    the hash found now (hex), or null
     */
    public record Problem(Kind kind, long seq, String message, String expected, String found) {
        public static final long NO_SEQ = -1;

        public boolean aboutEntry() {
            return seq != NO_SEQ;
        }
    }

    public boolean ok() {
        return problems.isEmpty();
    }

    /** The problem with the lowest sequence number: where the damage starts. */
    public Optional<Problem> firstBadEntry() {
        return problems.stream().filter(Problem::aboutEntry).min(Comparator.comparingLong(Problem::seq));
    }

    /** The report as an operator or auditor reads it. */
    public String render() {
        StringBuilder b = new StringBuilder();
        b.append("Audit log ").append(origin == null ? "(origin unknown)" : origin).append(" — ").append(source)
                .append('\n');
        b.append("  checked ").append(entriesChecked).append(entriesChecked == 1 ? " entry" : " entries")
                .append(" and ").append(checkpointsChecked).append(checkpointsChecked == 1 ? " checkpoint" : " checkpoints")
                .append('\n');
        for (String p : passed) {
            b.append("  OK    ").append(p).append('\n');
        }
        for (Problem p : problems) {
            b.append("  FAIL  ").append(p.message()).append('\n');
            if (p.expected() != null) {
                b.append("          expected: ").append(p.expected()).append('\n');
            }
            if (p.found() != null) {
                b.append("          found:    ").append(p.found()).append('\n');
            }
        }
        if (moreProblems) {
            b.append("  ... more problems were found and not listed\n");
        }
        if (ok()) {
            b.append("RESULT: VERIFIED\n");
        } else {
            b.append("RESULT: FAILED, ").append(problems.size()).append(problems.size() == 1 ? " problem" : " problems");
            firstBadEntry().ifPresent(p -> b.append("; first bad entry: seq ").append(p.seq()));
            b.append('\n');
        }
        return b.toString();
    }
}
