package dev.shomei.audit;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An append-only list of 32-byte leaf hashes, packed into large arrays so that a log of millions of
 * entries costs 32 bytes per entry rather than an object each.
 *
 * <p>Zone: all. In-memory only.
 */
public final class LeafHashes {

    private static final int HASHES_PER_CHUNK = 1 << 16;
    private static final int CHUNK_BYTES = HASHES_PER_CHUNK * MerkleTree.HASH_SIZE;

    private final List<byte[]> chunks = new ArrayList<>();
    private long size;

    public LeafHashes() {}

    /** A list holding the given hashes, in order. */
    public static LeafHashes of(List<byte[]> hashes) {
        LeafHashes l = new LeafHashes();
        hashes.forEach(l::add);
        return l;
    }

    public void add(byte[] hash) {
        if (hash.length != MerkleTree.HASH_SIZE) {
            throw new IllegalArgumentException("a leaf hash has 32 bytes, found " + hash.length);
        }
        int inChunk = (int) (size % HASHES_PER_CHUNK);
        if (inChunk == 0) {
            chunks.add(new byte[CHUNK_BYTES]);
        }
        System.arraycopy(hash, 0, chunks.get(chunks.size() - 1), inChunk * MerkleTree.HASH_SIZE, MerkleTree.HASH_SIZE);
        size++;
    }

    public byte[] get(long index) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException("leaf " + index + " of " + size);
        }
        byte[] chunk = chunks.get((int) (index / HASHES_PER_CHUNK));
        int from = (int) (index % HASHES_PER_CHUNK) * MerkleTree.HASH_SIZE;
        return Arrays.copyOfRange(chunk, from, from + MerkleTree.HASH_SIZE);
    }

    public long size() {
        return size;
    }
}
