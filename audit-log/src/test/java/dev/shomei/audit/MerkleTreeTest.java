package dev.shomei.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * RFC 9162 hashing and proofs against (1) the Certificate Transparency known-answer vectors in
 * testdata/ct-merkle-vectors.txt and (2) a naive implementation written here straight from the RFC's
 * recursive definitions, over every tree size up to 70 and every leaf. Tampered proofs must fail.
 */
class MerkleTreeTest {

    private static final HexFormat HEX = HexFormat.of();

    // ---- known answers ----

    private record Vectors(List<byte[]> leaves, List<byte[]> roots, List<long[]> proofSizes, List<List<byte[]>> proofs,
                           List<Boolean> isInclusion) {}

    private static Vectors vectors() throws IOException {
        List<byte[]> leaves = new ArrayList<>();
        List<byte[]> roots = new ArrayList<>();
        List<long[]> sizes = new ArrayList<>();
        List<List<byte[]>> proofs = new ArrayList<>();
        List<Boolean> inclusion = new ArrayList<>();
        try (InputStream in = MerkleTreeTest.class.getResourceAsStream("/testdata/ct-merkle-vectors.txt")) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.startsWith("#") || line.isBlank()) {
                    continue;
                }
                String[] f = line.split(" ");
                switch (f[0]) {
                    case "leaf" -> leaves.add(f.length > 1 ? HEX.parseHex(f[1]) : new byte[0]);
                    case "root" -> {
                        assertThat(Integer.parseInt(f[1])).isEqualTo(roots.size());
                        roots.add(HEX.parseHex(f[2]));
                    }
                    case "inclusion", "consistency" -> {
                        sizes.add(new long[] {Long.parseLong(f[1]), Long.parseLong(f[2])});
                        List<byte[]> p = new ArrayList<>();
                        for (int i = 3; i < f.length; i++) {
                            p.add(HEX.parseHex(f[i]));
                        }
                        proofs.add(p);
                        inclusion.add(f[0].equals("inclusion"));
                    }
                    default -> throw new IllegalStateException("unknown vector line: " + line);
                }
            }
        }
        return new Vectors(leaves, roots, sizes, proofs, inclusion);
    }

    private static MerkleTree treeOf(List<byte[]> leafInputs) {
        LeafHashes l = new LeafHashes();
        leafInputs.forEach(x -> l.add(MerkleTree.leafHash(x)));
        return new MerkleTree(l);
    }

    @Test
    void rootsMatchTheCertificateTransparencyVectors() throws IOException {
        Vectors v = vectors();
        assertThat(v.leaves()).hasSize(8);
        assertThat(v.roots()).hasSize(9);
        MerkleTree tree = treeOf(v.leaves());
        MerkleFrontier frontier = MerkleFrontier.empty();
        for (int n = 0; n <= 8; n++) {
            assertThat(HEX.formatHex(tree.rootHash(n))).as("root of size %d", n).isEqualTo(HEX.formatHex(v.roots().get(n)));
            assertThat(HEX.formatHex(frontier.root())).as("frontier root of size %d", n)
                    .isEqualTo(HEX.formatHex(v.roots().get(n)));
            // The frontier survives being stored and read back.
            assertThat(MerkleFrontier.decode(n, frontier.encode()).root()).isEqualTo(v.roots().get(n));
            if (n < 8) {
                frontier.append(MerkleTree.leafHash(v.leaves().get(n)));
            }
        }
    }

    @Test
    void proofsMatchTheCertificateTransparencyVectorsAndTamperedOnesFail() throws IOException {
        Vectors v = vectors();
        MerkleTree tree = treeOf(v.leaves());
        int inclusions = 0;
        int consistencies = 0;
        for (int i = 0; i < v.proofs().size(); i++) {
            long a = v.proofSizes().get(i)[0];
            long b = v.proofSizes().get(i)[1];
            List<byte[]> expected = v.proofs().get(i);
            if (v.isInclusion().get(i)) {
                inclusions++;
                InclusionProof p = tree.proveInclusion(a, b);
                assertThat(hex(p.hashes())).as("inclusion %d in %d", a, b).isEqualTo(hex(expected));
                byte[] leaf = MerkleTree.leafHash(v.leaves().get((int) a));
                byte[] root = v.roots().get((int) b);
                assertThat(MerkleTree.checkInclusion(a, b, leaf, expected, root)).isTrue();
                // Wrong position or size (from the CT verifier tests).
                for (long[] wrong : new long[][] {{a - 1, b}, {a + 1, b}, {a ^ 2, b}, {a, b * 2}, {a, b / 2}}) {
                    assertThat(MerkleTree.checkInclusion(wrong[0], wrong[1], leaf, expected, root))
                            .as("inclusion of %d in %d checked as %d in %d", a, b, wrong[0], wrong[1]).isFalse();
                }
                assertInclusionTamperingFails(a, b, leaf, expected, root);
            } else {
                consistencies++;
                ConsistencyProof p = tree.proveConsistency(a, b);
                assertThat(hex(p.hashes())).as("consistency %d -> %d", a, b).isEqualTo(hex(expected));
                byte[] r1 = v.roots().get((int) a);
                byte[] r2 = v.roots().get((int) b);
                assertThat(MerkleTree.checkConsistency(a, b, r1, r2, expected)).isTrue();
                for (long[] wrong : new long[][] {{a - 1, b}, {a + 1, b}, {a ^ 2, b}, {a, b * 2}, {a, b / 2}}) {
                    assertThat(MerkleTree.checkConsistency(wrong[0], wrong[1], r1, r2, expected))
                            .as("consistency %d -> %d checked as %d -> %d", a, b, wrong[0], wrong[1]).isFalse();
                }
                assertConsistencyTamperingFails(a, b, r1, r2, expected);
            }
        }
        assertThat(inclusions).isEqualTo(4);
        assertThat(consistencies).isEqualTo(4);
    }

    @Test
    void degenerateConsistencyCases() {
        byte[] empty = MerkleTree.emptyRoot();
        byte[] some = MerkleTree.leafHash(new byte[] {1});
        assertThat(MerkleTree.checkConsistency(0, 0, empty, empty, List.of())).isTrue();
        assertThat(MerkleTree.checkConsistency(0, 5, empty, some, List.of())).isTrue();
        assertThat(MerkleTree.checkConsistency(3, 3, some, some, List.of())).isTrue();
        assertThat(MerkleTree.checkConsistency(3, 3, some, empty, List.of())).as("same size, other root").isFalse();
        assertThat(MerkleTree.checkConsistency(3, 3, some, some, List.of(empty))).as("same size, extra hash").isFalse();
        assertThat(MerkleTree.checkConsistency(4, 3, some, some, List.of())).as("shrinking tree").isFalse();
        assertThat(MerkleTree.checkConsistency(1, 2, some, some, List.of())).as("empty proof").isFalse();
        assertThat(MerkleTree.checkInclusion(0, 1, some, List.of(), some)).isTrue();
        assertThat(MerkleTree.checkInclusion(0, 0, some, List.of(), some)).as("empty tree").isFalse();
        assertThat(MerkleTree.checkInclusion(1, 1, some, List.of(), some)).as("index beyond size").isFalse();
    }

    @Test
    void proofsAreAskedOnlyOfTreesAndLeavesThatExist() {
        List<byte[]> hashes = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            hashes.add(MerkleTree.leafHash(new byte[] {(byte) i}));
        }
        MerkleTree tree = new MerkleTree(LeafHashes.of(hashes));
        assertThat(tree.size()).isEqualTo(5);
        for (org.assertj.core.api.ThrowableAssert.ThrowingCallable beyond : List.<org.assertj.core.api.ThrowableAssert
                .ThrowingCallable>of(() -> tree.rootHash(6), () -> tree.proveInclusion(0, 6),
                () -> tree.proveConsistency(1, 6))) {
            org.assertj.core.api.Assertions.assertThatThrownBy(beyond).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("tree size 6 is beyond the 5 leaves known");
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> tree.proveInclusion(5, 5))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("leaf 5 is not in a tree of size 5");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> tree.proveInclusion(-1, 5))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("leaf -1 is not in a tree of size 5");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> tree.proveConsistency(5, 4))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("from size 5 to the smaller size 4");
        // From the empty tree and to the same size there is nothing to prove: empty proofs, and they check.
        ConsistencyProof fromEmpty = tree.proveConsistency(0, 5);
        assertThat(fromEmpty.hashes()).isEmpty();
        assertThat(fromEmpty.check(MerkleTree.emptyRoot(), tree.rootHash(5))).isTrue();
        ConsistencyProof same = tree.proveConsistency(5, 5);
        assertThat(same.hashes()).isEmpty();
        assertThat(same.check(tree.rootHash(5), tree.rootHash(5))).isTrue();
        // A proof element that is not a hash is refused, not read.
        List<byte[]> proof = new ArrayList<>(tree.proveConsistency(3, 5).hashes());
        assertThat(MerkleTree.checkConsistency(3, 5, tree.rootHash(3), tree.rootHash(5), proof)).isTrue();
        proof.set(proof.size() - 1, Arrays.copyOf(proof.getLast(), 31));
        assertThat(MerkleTree.checkConsistency(3, 5, tree.rootHash(3), tree.rootHash(5), proof)).isFalse();
    }

    @Test
    void proofsAreValuesThatCheckOnlyTheirOwnLeafAndRoot() {
        List<byte[]> hashes = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            hashes.add(MerkleTree.leafHash(new byte[] {(byte) i}));
        }
        MerkleTree tree = new MerkleTree(LeafHashes.of(hashes));
        InclusionProof p = tree.proveInclusion(2, 7);
        assertThat(p.check(hashes.get(2), tree.rootHash(7))).isTrue();
        assertThat(p.check(hashes.get(3), tree.rootHash(7))).as("another leaf").isFalse();
        assertThat(p.check(hashes.get(2), tree.rootHash(6))).as("another root").isFalse();
        assertThat(p).isEqualTo(tree.proveInclusion(2, 7)).hasSameHashCodeAs(tree.proveInclusion(2, 7))
                .isNotEqualTo(tree.proveInclusion(3, 7)).isNotEqualTo(tree.proveInclusion(2, 6));
        assertThat(new InclusionProof(2, 7, List.of(hashes.get(0)))).isNotEqualTo(new InclusionProof(2, 7,
                List.of(hashes.get(1)))).isNotEqualTo(new InclusionProof(2, 7, List.of(hashes.get(0), hashes.get(1))));
        assertThat(p.toString()).startsWith("InclusionProof[leaf 2 of 7: ").contains(HEX.formatHex(p.hashes().getFirst()));
        ConsistencyProof c = tree.proveConsistency(3, 7);
        assertThat(c).isEqualTo(tree.proveConsistency(3, 7)).hasSameHashCodeAs(tree.proveConsistency(3, 7))
                .isNotEqualTo(tree.proveConsistency(2, 7)).isNotEqualTo(tree.proveConsistency(3, 6));
        assertThat(new ConsistencyProof(3, 7, List.of(hashes.get(0)))).isNotEqualTo(new ConsistencyProof(3, 7,
                List.of(hashes.get(1))));
        assertThat(c.toString()).startsWith("ConsistencyProof[3 -> 7: ").contains(HEX.formatHex(c.hashes().getFirst()));
    }

    // ---- against a naive implementation of the RFC's definitions ----

    @Test
    void everyProofOfEveryTreeUpTo70LeavesMatchesTheNaiveDefinitionAndChecks() {
        List<byte[]> inputs = new ArrayList<>();
        for (int i = 0; i < 70; i++) {
            inputs.add(("entry " + i).getBytes(StandardCharsets.UTF_8));
        }
        MerkleTree tree = treeOf(inputs);
        MerkleFrontier frontier = MerkleFrontier.empty();
        for (int n = 1; n <= inputs.size(); n++) {
            List<byte[]> d = inputs.subList(0, n);
            frontier.append(MerkleTree.leafHash(inputs.get(n - 1)));
            byte[] root = Naive.mth(d);
            assertThat(tree.rootHash(n)).as("root of %d", n).isEqualTo(root);
            assertThat(frontier.root()).as("frontier root of %d", n).isEqualTo(root);
            for (int m = 0; m < n; m++) {
                InclusionProof p = tree.proveInclusion(m, n);
                assertThat(hex(p.hashes())).as("PATH(%d, D[%d])", m, n).isEqualTo(hex(Naive.path(m, d)));
                byte[] leaf = Naive.leaf(inputs.get(m));
                assertThat(p.check(leaf, root)).as("inclusion %d of %d", m, n).isTrue();
                assertInclusionTamperingFails(m, n, leaf, p.hashes(), root);
            }
            for (int m = 1; m <= n; m++) {
                ConsistencyProof p = tree.proveConsistency(m, n);
                List<byte[]> expected = m == n ? List.of() : Naive.proof(m, d);
                assertThat(hex(p.hashes())).as("PROOF(%d, D[%d])", m, n).isEqualTo(hex(expected));
                byte[] r1 = Naive.mth(inputs.subList(0, m));
                assertThat(p.check(r1, root)).as("consistency %d -> %d", m, n).isTrue();
                if (m < n) {
                    assertConsistencyTamperingFails(m, n, r1, root, p.hashes());
                }
            }
        }
    }

    private static void assertInclusionTamperingFails(long m, long n, byte[] leaf, List<byte[]> path, byte[] root) {
        String what = "inclusion of " + m + " in " + n;
        assertThat(MerkleTree.checkInclusion(m, n, flip(leaf), path, root)).as(what + ", other leaf").isFalse();
        assertThat(MerkleTree.checkInclusion(m, n, leaf, path, flip(root))).as(what + ", other root").isFalse();
        assertThat(MerkleTree.checkInclusion(m, n, leaf, plus(path, root), root)).as(what + ", trailing hash").isFalse();
        assertThat(MerkleTree.checkInclusion(m, n, leaf, plusFirst(path, root), root)).as(what + ", leading hash")
                .isFalse();
        if (!path.isEmpty()) {
            assertThat(MerkleTree.checkInclusion(m, n, leaf, path.subList(0, path.size() - 1), root))
                    .as(what + ", last hash removed").isFalse();
        }
        for (int i = 0; i < path.size(); i++) {
            List<byte[]> t = new ArrayList<>(path);
            t.set(i, flip(path.get(i)));
            assertThat(MerkleTree.checkInclusion(m, n, leaf, t, root)).as(what + ", hash " + i + " flipped").isFalse();
        }
    }

    private static void assertConsistencyTamperingFails(long a, long b, byte[] r1, byte[] r2, List<byte[]> proof) {
        String what = "consistency " + a + " -> " + b;
        assertThat(MerkleTree.checkConsistency(a, b, flip(r1), r2, proof)).as(what + ", other first root").isFalse();
        assertThat(MerkleTree.checkConsistency(a, b, r1, flip(r2), proof)).as(what + ", other second root").isFalse();
        assertThat(MerkleTree.checkConsistency(a, b, r2, r1, proof)).as(what + ", swapped roots").isFalse();
        assertThat(MerkleTree.checkConsistency(a, b, r1, r2, List.of())).as(what + ", empty proof").isFalse();
        assertThat(MerkleTree.checkConsistency(a, b, r1, r2, plus(proof, r2))).as(what + ", trailing hash").isFalse();
        assertThat(MerkleTree.checkConsistency(a, b, r1, r2, plusFirst(proof, r1))).as(what + ", leading hash").isFalse();
        assertThat(MerkleTree.checkConsistency(a, b, r1, r2, proof.subList(0, proof.size() - 1)))
                .as(what + ", truncated").isFalse();
        for (int i = 0; i < proof.size(); i++) {
            List<byte[]> t = new ArrayList<>(proof);
            t.set(i, flip(proof.get(i)));
            assertThat(MerkleTree.checkConsistency(a, b, r1, r2, t)).as(what + ", hash " + i + " flipped").isFalse();
        }
    }

    private static byte[] flip(byte[] h) {
        byte[] c = h.clone();
        c[0] ^= 0x08;
        return c;
    }

    private static List<byte[]> plus(List<byte[]> l, byte[] h) {
        List<byte[]> c = new ArrayList<>(l);
        c.add(h);
        return c;
    }

    private static List<byte[]> plusFirst(List<byte[]> l, byte[] h) {
        List<byte[]> c = new ArrayList<>(l);
        c.addFirst(h);
        return c;
    }

    private static List<String> hex(List<byte[]> hashes) {
        return hashes.stream().map(HEX::formatHex).toList();
    }

    /** RFC 9162 §2.1.1, §2.1.3.1 and §2.1.4.1 transcribed literally, over leaf inputs, with its own hashing. */
    private static final class Naive {
        static byte[] sha(byte prefix, byte[]... parts) {
            try {
                MessageDigest d = MessageDigest.getInstance("SHA-256");
                if (prefix >= 0) {
                    d.update(prefix);
                }
                for (byte[] p : parts) {
                    d.update(p);
                }
                return d.digest();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        static byte[] leaf(byte[] input) {
            return sha((byte) 0, input);
        }

        static int k(int n) {
            int k = 1;
            while (k * 2 < n) {
                k *= 2;
            }
            return k;
        }

        static byte[] mth(List<byte[]> d) {
            if (d.isEmpty()) {
                return sha((byte) -1);
            }
            if (d.size() == 1) {
                return leaf(d.get(0));
            }
            int k = k(d.size());
            return sha((byte) 1, mth(d.subList(0, k)), mth(d.subList(k, d.size())));
        }

        static List<byte[]> path(int m, List<byte[]> d) {
            List<byte[]> out = new ArrayList<>();
            if (d.size() <= 1) {
                return out;
            }
            int k = k(d.size());
            if (m < k) {
                out.addAll(path(m, d.subList(0, k)));
                out.add(mth(d.subList(k, d.size())));
            } else {
                out.addAll(path(m - k, d.subList(k, d.size())));
                out.add(mth(d.subList(0, k)));
            }
            return out;
        }

        static List<byte[]> proof(int m, List<byte[]> d) {
            return subproof(m, d, true);
        }

        static List<byte[]> subproof(int m, List<byte[]> d, boolean b) {
            List<byte[]> out = new ArrayList<>();
            int n = d.size();
            if (m == n) {
                if (!b) {
                    out.add(mth(d));
                }
                return out;
            }
            int k = k(n);
            if (m <= k) {
                out.addAll(subproof(m, d.subList(0, k), b));
                out.add(mth(d.subList(k, n)));
            } else {
                out.addAll(subproof(m - k, d.subList(k, n), false));
                out.add(mth(d.subList(0, k)));
            }
            return out;
        }
    }

    @Test
    void leafAndNodeHashesUseTheRfcPrefixes() {
        byte[] l = new byte[] {1, 2, 3};
        assertThat(MerkleTree.leafHash(l)).isEqualTo(Naive.sha((byte) 0, l));
        byte[] a = MerkleTree.leafHash(new byte[] {1});
        byte[] b = MerkleTree.leafHash(new byte[] {2});
        assertThat(MerkleTree.nodeHash(a, b)).isEqualTo(Naive.sha((byte) 1, a, b));
        // A leaf whose bytes look like "0x01 || a || b" must not collide with the node: the prefixes differ.
        byte[] lookalike = new byte[65];
        lookalike[0] = 1;
        System.arraycopy(a, 0, lookalike, 1, 32);
        System.arraycopy(b, 0, lookalike, 33, 32);
        assertThat(Arrays.equals(MerkleTree.leafHash(Arrays.copyOfRange(lookalike, 1, 65)), MerkleTree.nodeHash(a, b)))
                .isFalse();
    }
}
