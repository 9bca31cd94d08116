package dev.shomei.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The checkpoint text format: exact layout, strict parsing, signatures. */
class CheckpointTest {

    private static final KeyPair KEY = LogFixture.ecKeyPair();
    private static final CheckpointSigner SIGNER = new PrivateKeyCheckpointSigner("pkcs11:token=ca;object=audit-2026",
            "SHA256withECDSA", KEY.getPrivate(), KEY.getPublic());
    private static final byte[] ROOT = MerkleTree.leafHash(new byte[] {7});

    private static Checkpoint sample() {
        return Checkpoint.sign("shomei.example/ca-secure", 1234, ROOT, Instant.parse("2026-04-01T00:00:00Z"), SIGNER);
    }

    @Test
    void theTextHasTheDocumentedLines() {
        Checkpoint cp = sample();
        List<String> lines = cp.text().lines().toList();
        assertThat(lines).hasSize(7);
        assertThat(lines.subList(0, 6)).containsExactly("shomei-audit-checkpoint/v1", "shomei.example/ca-secure", "1234",
                java.util.Base64.getEncoder().encodeToString(ROOT), "2026-04-01T00:00:00.000000Z", "");
        assertThat(lines.get(6)).startsWith("signature pkcs11:token=ca;object=audit-2026 SHA256withECDSA ");
        assertThat(new String(cp.body(), java.nio.charset.StandardCharsets.UTF_8))
                .isEqualTo(String.join("\n", lines.subList(0, 5)) + "\n");
        assertThat(Checkpoint.parse(cp.text())).isEqualTo(cp);
        assertThat(Checkpoint.parse(cp.text()).verify(KEY.getPublic())).isTrue();
    }

    @Test
    void aChangedLineOrAnotherKeyDoesNotVerify() throws Exception {
        Checkpoint cp = sample();
        Checkpoint bigger = Checkpoint.parse(cp.text().replace("\n1234\n", "\n1235\n"));
        assertThat(bigger.verify(KEY.getPublic())).isFalse();
        Checkpoint renamed = Checkpoint.parse(cp.text().replace("ca-secure", "ca-secur3"));
        assertThat(renamed.verify(KEY.getPublic())).isFalse();
        assertThat(cp.verify(LogFixture.ecKeyPair().getPublic())).isFalse();
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        assertThat(cp.verify(rsa.generateKeyPair().getPublic())).as("key of another type").isFalse();
        assertThat(cp.signedBy(List.of(LogFixture.ecKeyPair().getPublic(), KEY.getPublic()))).contains(KEY.getPublic());
    }

    @Test
    void malformedTextIsRejectedNamingTheLine() {
        String t = sample().text();
        assertThatThrownBy(() -> Checkpoint.parse(t.replace("checkpoint/v1", "checkpoint/v2")))
                .hasMessageContaining("line 1 must be 'shomei-audit-checkpoint/v1'");
        assertThatThrownBy(() -> Checkpoint.parse(t.replace("\n1234\n", "\n01234\n")))
                .hasMessageContaining("line 3 (tree size)");
        assertThatThrownBy(() -> Checkpoint.parse(t.replace("\n1234\n", "\n-1\n")))
                .hasMessageContaining("line 3 (tree size)");
        assertThatThrownBy(() -> Checkpoint.parse(t.replace("2026-04-01T00:00:00.000000Z", "2026-04-01T00:00:00Z")))
                .hasMessageContaining("line 5 (time)");
        assertThatThrownBy(() -> Checkpoint.parse(t.replace(java.util.Base64.getEncoder().encodeToString(ROOT), "AAAA")))
                .hasMessageContaining("root hash must be 32 bytes");
        assertThatThrownBy(() -> Checkpoint.parse(t.replace("SHA256withECDSA", "SHA1withECDSA")))
                .hasMessageContaining("'SHA1withECDSA' is not accepted");
        assertThatThrownBy(() -> Checkpoint.parse(t + "extra\n")).hasMessageContaining("must have 7 lines");
        assertThatThrownBy(() -> Checkpoint.parse(t.substring(0, t.length() - 1))).hasMessageContaining("end with a line feed");
        assertThatThrownBy(() -> Checkpoint.parse(t.replace("signature pkcs11", "sig pkcs11")))
                .hasMessageContaining("line 7 must be 'signature <key name> <algorithm> <base64>'");
    }

    @Test
    void originsAndKeyNamesCannotBreakTheFormat() {
        assertThatThrownBy(() -> Checkpoint.sign("a\nb", 1, ROOT, Instant.now(), SIGNER)).hasMessageContaining("log origin");
        assertThatThrownBy(() -> new PrivateKeyCheckpointSigner("two words", "SHA256withECDSA", KEY.getPrivate(),
                KEY.getPublic())).hasMessageContaining("without spaces");
    }

    @Test
    void checkpointsAreEqualOnlyAsTheSameSignedTextAndDescribeTheSameTreeByOriginSizeAndRoot() {
        Checkpoint cp = sample();
        Checkpoint later = Checkpoint.sign("shomei.example/ca-secure", 1234, ROOT, Instant.parse("2026-05-01T00:00:00Z"),
                SIGNER);
        assertThat(Checkpoint.parse(cp.text())).isEqualTo(cp).hasSameHashCodeAs(cp);
        assertThat(later).isNotEqualTo(cp);
        assertThat(later.sameTree(cp)).as("same tree, signed again later").isTrue();
        byte[] otherRoot = MerkleTree.leafHash(new byte[] {8});
        assertThat(Checkpoint.sign("shomei.example/ca-secure", 1235, ROOT, cp.time(), SIGNER).sameTree(cp)).isFalse();
        assertThat(Checkpoint.sign("shomei.example/ca-secure", 1234, otherRoot, cp.time(), SIGNER).sameTree(cp)).isFalse();
        assertThat(Checkpoint.sign("shomei.example/ra", 1234, ROOT, cp.time(), SIGNER).sameTree(cp)).isFalse();
        assertThat(cp.rootBase64()).isEqualTo(java.util.Base64.getEncoder().encodeToString(ROOT));
        assertThat(cp.signature()).isNotEmpty();
        assertThat(cp.toString()).isEqualTo("Checkpoint[shomei.example/ca-secure, size 1234, root " + cp.rootHex()
                + ", 2026-04-01T00:00:00.000000Z, key pkcs11:token=ca;object=audit-2026]");
    }

    @Test
    void theEmptyLogHasACheckpointAndANegativeSizeIsRefused() {
        Checkpoint empty = Checkpoint.sign("shomei.example/ca-secure", 0, MerkleTree.emptyRoot(), Instant.now(), SIGNER);
        assertThat(Checkpoint.parse(empty.text()).treeSize()).isZero();
        assertThatThrownBy(() -> Checkpoint.sign("shomei.example/ca-secure", -1, ROOT, Instant.now(), SIGNER))
                .hasMessageContaining("tree size must not be negative: -1");
    }
}
