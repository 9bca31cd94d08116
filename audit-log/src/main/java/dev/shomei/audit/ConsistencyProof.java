package dev.shomei.audit;

import java.util.HexFormat;
import java.util.List;

/**
 * An RFC 9162 §2.1.4 consistency proof: shows that the tree of size {@code firstSize} is a prefix of the
 * tree of size {@code secondSize}, i.e. nothing the first checkpoint covered was changed or removed.
 *
 * <p>Zone: all. A value type; touches nothing.
 */
public record ConsistencyProof(long firstSize, long secondSize, List<byte[]> hashes) {

    public ConsistencyProof {
        hashes = MerkleTree.copy(hashes);
    }

    @Override
    public List<byte[]> hashes() {
        return MerkleTree.copy(hashes);
    }

    /** True when the proof links {@code firstRoot} to {@code secondRoot} (RFC 9162 §2.1.4.2). */
    public boolean check(byte[] firstRoot, byte[] secondRoot) {
        return MerkleTree.checkConsistency(firstSize, secondSize, firstRoot, secondRoot, hashes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ConsistencyProof p && p.firstSize == firstSize && p.secondSize == secondSize
                && MerkleTree.equal(p.hashes, hashes);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(firstSize * 31 + secondSize) + hashes.size();
    }

    @Override
    public String toString() {
        return "ConsistencyProof[" + firstSize + " -> " + secondSize + ": "
                + hashes.stream().map(HexFormat.of()::formatHex).toList() + "]";
    }
}
