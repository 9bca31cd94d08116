package dev.shomei.audit;

import java.util.HexFormat;
import java.util.List;

/**
 * An RFC 9162 §2.1.3 inclusion proof: the audit path from leaf {@code leafIndex} (the entry's sequence
 * number) to the root of the tree of size {@code treeSize}.
 *
 * <p>Zone: all. A value type; touches nothing.
 */
public record InclusionProof(long leafIndex, long treeSize, List<byte[]> hashes) {

    public InclusionProof {
        hashes = MerkleTree.copy(hashes);
    }

    @Override
    public List<byte[]> hashes() {
        return MerkleTree.copy(hashes);
    }

    /** True when the path leads from {@code leafHash} to {@code rootHash} (RFC 9162 §2.1.3.2). */
    public boolean check(byte[] leafHash, byte[] rootHash) {
        return MerkleTree.checkInclusion(leafIndex, treeSize, leafHash, hashes, rootHash);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof InclusionProof p && p.leafIndex == leafIndex && p.treeSize == treeSize
                && MerkleTree.equal(p.hashes, hashes);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(leafIndex * 31 + treeSize) + hashes.size();
    }

    @Override
    public String toString() {
        return "InclusionProof[leaf " + leafIndex + " of " + treeSize + ": "
                + hashes.stream().map(HexFormat.of()::formatHex).toList() + "]";
    }
}
