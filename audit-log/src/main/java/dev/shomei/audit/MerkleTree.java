package dev.shomei.audit;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * RFC 9162 (Certificate Transparency v2) Merkle tree hashing over a list of leaf hashes, with the
 * inclusion and consistency proofs of §2.1.3 and §2.1.4 and their checks. Vocabulary: a <em>leaf
 * hash</em> is {@code SHA-256(0x00 || leaf)}, a <em>node hash</em> is {@code SHA-256(0x01 || left ||
 * right)}, and the <em>root hash</em> of size n is the RFC's MTH(D[n]).
 *
 * <p>Zone: all. In-memory computation only.
 */
public final class MerkleTree {

    public static final int HASH_SIZE = 32;
    /** RFC 9162 §2.1.1: domain separation between leaves and interior nodes (second-preimage defence). */
    static final byte LEAF_PREFIX = 0x00;
    static final byte NODE_PREFIX = 0x01;

    private final LeafHashes leaves;
    // levels.get(h).get(i) is the hash of the perfect subtree of 2^h leaves starting at leaf i * 2^h:
    // computed once (n hashes), it makes every proof O(log^2 n) instead of O(n).
    private List<LeafHashes> levels;
    private long levelsBuiltFor = -1;

    /** A tree over these leaf hashes; sizes up to {@code leaves.size()} can be asked for. */
    public MerkleTree(LeafHashes leaves) {
        this.leaves = Objects.requireNonNull(leaves, "leaves");
    }

    public long size() {
        return leaves.size();
    }

    // ---- hashing (RFC 9162 §2.1.1) ----

    /** The root of the empty tree: SHA-256 of the empty string. */
    public static byte[] emptyRoot() {
        return sha256().digest();
    }

    public static byte[] leafHash(byte[] leaf) {
        MessageDigest d = sha256();
        d.update(LEAF_PREFIX);
        d.update(leaf);
        return d.digest();
    }

    public static byte[] nodeHash(byte[] left, byte[] right) {
        MessageDigest d = sha256();
        d.update(NODE_PREFIX);
        d.update(left);
        d.update(right);
        return d.digest();
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /** The largest power of two strictly smaller than n (n >= 2): the RFC's split point k. */
    static long split(long n) {
        return Long.highestOneBit(n - 1);
    }

    /** MTH(D[n]): the root hash of the first n leaves. */
    public byte[] rootHash(long n) {
        checkSize(n);
        return n == 0 ? emptyRoot() : subtreeHash(0, n);
    }

    /** MTH(D[start:end]) for a non-empty range. */
    private byte[] subtreeHash(long start, long end) {
        long n = end - start;
        if (n == 1) {
            return leaves.get(start);
        }
        // The RFC's split only ever produces perfect subtrees aligned to their size: those are precomputed.
        if (Long.bitCount(n) == 1 && start % n == 0) {
            int level = Long.numberOfTrailingZeros(n);
            List<LeafHashes> lv = levels();
            if (level < lv.size() && (start >> level) < lv.get(level).size()) {
                return lv.get(level).get(start >> level);
            }
        }
        long k = split(n);
        return nodeHash(subtreeHash(start, start + k), subtreeHash(start + k, end));
    }

    private List<LeafHashes> levels() {
        if (levelsBuiltFor != leaves.size()) {
            List<LeafHashes> lv = new ArrayList<>();
            lv.add(leaves);
            LeafHashes cur = leaves;
            while (cur.size() >= 2) {
                LeafHashes up = new LeafHashes();
                for (long i = 0; i + 1 < cur.size(); i += 2) {
                    up.add(nodeHash(cur.get(i), cur.get(i + 1)));
                }
                lv.add(up);
                cur = up;
            }
            levels = lv;
            levelsBuiltFor = leaves.size();
        }
        return levels;
    }

    // ---- inclusion proofs (RFC 9162 §2.1.3) ----

    /** The audit path PATH(m, D[n]) for leaf m in the tree of size n (§2.1.3.1). */
    public InclusionProof proveInclusion(long m, long n) {
        checkSize(n);
        if (m < 0 || m >= n) {
            throw new IllegalArgumentException("leaf " + m + " is not in a tree of size " + n);
        }
        List<byte[]> path = new ArrayList<>();
        path(m, 0, n, path);
        return new InclusionProof(m, n, path);
    }

    private void path(long m, long start, long end, List<byte[]> out) {
        long n = end - start;
        if (n == 1) {
            return;
        }
        long k = split(n);
        // The path lists the sibling subtrees from the leaf upwards, so recurse first, then add.
        if (m < k) {
            path(m, start, start + k, out);
            out.add(subtreeHash(start + k, end));
        } else {
            path(m - k, start + k, end, out);
            out.add(subtreeHash(start, start + k));
        }
    }

    /**
     * Checks an audit path with the algorithm of RFC 9162 §2.1.3.2: recomputes the root from the leaf
     * hash and compares it with {@code rootHash}.
     */
    public static boolean checkInclusion(long leafIndex, long treeSize, byte[] leafHash, List<byte[]> path,
                                         byte[] rootHash) {
        if (leafIndex < 0 || treeSize <= 0 || leafIndex >= treeSize || !isHash(leafHash) || !isHash(rootHash)) {
            return false;
        }
        long fn = leafIndex;
        long sn = treeSize - 1;
        byte[] r = leafHash;
        for (byte[] p : path) {
            if (sn == 0 || !isHash(p)) {
                return false;
            }
            if ((fn & 1) == 1 || fn == sn) {
                r = nodeHash(p, r);
                if ((fn & 1) == 0) {
                    // fn is the last node of its level: it has no right sibling until a level where it is odd.
                    while ((fn & 1) == 0 && fn != 0) {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            } else {
                r = nodeHash(r, p);
            }
            fn >>= 1;
            sn >>= 1;
        }
        return sn == 0 && MessageDigest.isEqual(r, rootHash);
    }

    // ---- consistency proofs (RFC 9162 §2.1.4) ----

    /** PROOF(m, D[n]): shows that the tree of size m is a prefix of the tree of size n (§2.1.4.1). */
    public ConsistencyProof proveConsistency(long m, long n) {
        checkSize(n);
        if (m < 0 || m > n) {
            throw new IllegalArgumentException("no consistency proof from size " + m + " to the smaller size " + n);
        }
        List<byte[]> proof = new ArrayList<>();
        // The RFC defines proofs for 0 < m < n; for m == 0 or m == n there is nothing to prove.
        if (m > 0 && m < n) {
            subproof(m, 0, n, true, proof);
        }
        return new ConsistencyProof(m, n, proof);
    }

    private void subproof(long m, long start, long end, boolean wholeOldTree, List<byte[]> out) {
        long n = end - start;
        if (m == n) {
            // The old tree's root is known to the verifier only when this subtree is the whole old tree.
            if (!wholeOldTree) {
                out.add(subtreeHash(start, end));
            }
            return;
        }
        long k = split(n);
        if (m <= k) {
            subproof(m, start, start + k, wholeOldTree, out);
            out.add(subtreeHash(start + k, end));
        } else {
            subproof(m - k, start + k, end, false, out);
            out.add(subtreeHash(start, start + k));
        }
    }

    /**
     * Checks a consistency proof with the algorithm of RFC 9162 §2.1.4.2: rebuilds both roots from the
     * proof and compares them with {@code firstRoot} and {@code secondRoot}.
     */
    public static boolean checkConsistency(long firstSize, long secondSize, byte[] firstRoot, byte[] secondRoot,
                                           List<byte[]> proof) {
        if (firstSize < 0 || secondSize < firstSize || !isHash(firstRoot) || !isHash(secondRoot)) {
            return false;
        }
        if (firstSize == secondSize) {
            return proof.isEmpty() && MessageDigest.isEqual(firstRoot, secondRoot);
        }
        if (firstSize == 0) {
            // Every tree extends the empty tree; a non-empty proof is malformed.
            return proof.isEmpty() && MessageDigest.isEqual(firstRoot, emptyRoot());
        }
        // Step 1.
        if (proof.isEmpty()) {
            return false;
        }
        for (byte[] p : proof) {
            if (!isHash(p)) {
                return false;
            }
        }
        List<byte[]> path = new ArrayList<>(proof);
        // Step 2: an old tree of power-of-two size is a complete subtree of the new one; its root is the start.
        if (Long.bitCount(firstSize) == 1) {
            path.addFirst(firstRoot);
        }
        // Step 3.
        long fn = firstSize - 1;
        long sn = secondSize - 1;
        // Step 4.
        while ((fn & 1) == 1) {
            fn >>= 1;
            sn >>= 1;
        }
        // Step 5.
        byte[] fr = path.getFirst();
        byte[] sr = path.getFirst();
        // Step 6.
        for (byte[] c : path.subList(1, path.size())) {
            if (sn == 0) {
                return false;
            }
            if ((fn & 1) == 1 || fn == sn) {
                fr = nodeHash(c, fr);
                sr = nodeHash(c, sr);
                if ((fn & 1) == 0) {
                    while ((fn & 1) == 0 && fn != 0) {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            } else {
                sr = nodeHash(sr, c);
            }
            fn >>= 1;
            sn >>= 1;
        }
        // Step 7.
        return sn == 0 && MessageDigest.isEqual(fr, firstRoot) && MessageDigest.isEqual(sr, secondRoot);
    }

    private void checkSize(long n) {
        if (n < 0 || n > leaves.size()) {
            throw new IllegalArgumentException("tree size " + n + " is beyond the " + leaves.size() + " leaves known");
        }
    }

    static boolean isHash(byte[] h) {
        return h != null && h.length == HASH_SIZE;
    }

    /** A copy of a list of hashes, for immutable proof values. */
    static List<byte[]> copy(List<byte[]> hashes) {
        return hashes.stream().map(byte[]::clone).toList();
    }

    static boolean equal(List<byte[]> a, List<byte[]> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (!Arrays.equals(a.get(i), b.get(i))) {
                return false;
            }
        }
        return true;
    }
}
