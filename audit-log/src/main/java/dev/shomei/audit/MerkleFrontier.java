package dev.shomei.audit;

import java.util.ArrayList;
import java.util.List;

/**
 * The right edge of a Merkle tree: the roots of the perfect subtrees that the binary form of the size
 * splits the tree into, largest first. It is enough to append leaves and compute the RFC 9162 root,
 * so a checkpoint only hashes the entries added since the previous one.
 *
 * <p>Why the root is a right fold: MTH splits n at the largest power of two k &lt; n, the left part is
 * a perfect subtree (the first frontier hash) and the right part splits the same way.
 *
 * <p>Zone: all. In-memory only.
 */
final class MerkleFrontier {

    private final List<byte[]> hashes;
    private long size;

    private MerkleFrontier(long size, List<byte[]> hashes) {
        this.size = size;
        this.hashes = hashes;
    }

    static MerkleFrontier empty() {
        return new MerkleFrontier(0, new ArrayList<>());
    }

    /** Reads a frontier stored as the concatenation of its hashes; there is one per set bit of size. */
    static MerkleFrontier decode(long size, byte[] packed) {
        int count = Long.bitCount(size);
        if (packed == null || packed.length != count * MerkleTree.HASH_SIZE) {
            throw new AuditException("stored Merkle frontier for size " + size + " must hold " + count
                    + " hashes, found " + (packed == null ? "none" : packed.length + " bytes"));
        }
        List<byte[]> hashes = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            byte[] h = new byte[MerkleTree.HASH_SIZE];
            System.arraycopy(packed, i * MerkleTree.HASH_SIZE, h, 0, MerkleTree.HASH_SIZE);
            hashes.add(h);
        }
        return new MerkleFrontier(size, hashes);
    }

    byte[] encode() {
        byte[] out = new byte[hashes.size() * MerkleTree.HASH_SIZE];
        for (int i = 0; i < hashes.size(); i++) {
            System.arraycopy(hashes.get(i), 0, out, i * MerkleTree.HASH_SIZE, MerkleTree.HASH_SIZE);
        }
        return out;
    }

    void append(byte[] leafHash) {
        hashes.add(leafHash.clone());
        // Each trailing 1 bit of the old size is a perfect subtree of the same height as the new one: merge.
        for (long s = size; (s & 1) == 1; s >>= 1) {
            byte[] right = hashes.removeLast();
            byte[] left = hashes.removeLast();
            hashes.add(MerkleTree.nodeHash(left, right));
        }
        size++;
    }

    long size() {
        return size;
    }

    byte[] root() {
        if (hashes.isEmpty()) {
            return MerkleTree.emptyRoot();
        }
        byte[] r = hashes.getLast();
        for (int i = hashes.size() - 2; i >= 0; i--) {
            r = MerkleTree.nodeHash(hashes.get(i), r);
        }
        return r;
    }
}
