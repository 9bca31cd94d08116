package dev.shomei.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The canonical entry encoding (README.md, "Entry encoding v1") and the rules on actors and events. */
class EntryEncodingTest {

    private static final Instant T = Instant.parse("2026-04-01T09:30:15.123456Z");
    private static final byte[] DETAIL = new byte[32];
    private static final byte[] PREV = new byte[32];

    static {
        for (int i = 0; i < 32; i++) {
            DETAIL[i] = (byte) i;
            PREV[i] = (byte) (0xff - i);
        }
    }

    @Test
    void theEncodingIsTheDocumentedByteLayout() throws Exception {
        AuditEvent e = new AuditEvent(Actor.policy("ra-service", "1.4.0", "approval-v3", "ABCD"), "application.approved",
                "application:123", DETAIL);

        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(b);
        d.writeByte(1);                                   // encoding version
        d.writeLong(42);                                  // seq
        d.writeLong(T.getEpochSecond() * 1_000_000 + 123_456); // microseconds since the epoch
        d.writeByte(2);                                   // SYSTEM
        str(d, "ra-service");
        d.writeByte(0);                                   // no authentication
        d.writeByte(1);
        str(d, "1.4.0");
        d.writeByte(1);
        str(d, "approval-v3");
        d.writeByte(1);
        str(d, "abcd");                                   // digest normalised to lowercase
        str(d, "application.approved");
        str(d, "application:123");
        d.writeInt(32);
        d.write(DETAIL);
        d.writeInt(32);
        d.write(PREV);

        byte[] encoded = AuditEntry.encode(42, T, e, PREV);
        assertThat(encoded).isEqualTo(b.toByteArray());
        AuditEntry entry = AuditEntry.create(42, T, e, PREV);
        byte[] leafHash = MessageDigest.getInstance("SHA-256").digest(concat(new byte[] {0}, encoded));
        assertThat(entry.entryHash()).as("entry hash = RFC 9162 leaf hash of the encoding").isEqualTo(leafHash);
    }

    private static void str(DataOutputStream d, String s) throws Exception {
        byte[] u = s.getBytes(StandardCharsets.UTF_8);
        d.writeInt(u.length);
        d.write(u);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = new byte[a.length + b.length];
        System.arraycopy(a, 0, c, 0, a.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    @Test
    void differentEntriesNeverEncodeAlike() {
        Actor p = Actor.person("alice", "HSM SO login");
        byte[] ab = AuditEntry.encode(0, T, new AuditEvent(p, "ab", "c", DETAIL), PREV);
        byte[] a = AuditEntry.encode(0, T, new AuditEvent(p, "a", "bc", DETAIL), PREV);
        assertThat(ab).isNotEqualTo(a);
        // Absent and empty differ: a SYSTEM actor with and without an (empty) authentication.
        byte[] none = AuditEntry.encode(0, T, new AuditEvent(new Actor(Actor.Kind.SYSTEM, "ca", null, "1", null, null), "x", "",
                DETAIL), PREV);
        byte[] empty = AuditEntry.encode(0, T, new AuditEvent(new Actor(Actor.Kind.SYSTEM, "ca", "", "1", null, null), "x", "",
                DETAIL), PREV);
        assertThat(none).isNotEqualTo(empty);
        // Non-ASCII survives as UTF-8.
        byte[] jp = AuditEntry.encode(0, T, new AuditEvent(Actor.person("山田 太郎", "mTLS"), "x", "申請:1", DETAIL), PREV);
        assertThat(new String(jp, StandardCharsets.UTF_8)).contains("山田 太郎", "申請:1");
    }

    @Test
    void actorsFollowTheContract() {
        assertThat(Actor.person("alice", "mTLS client cert SHA-256 ab12")).extracting(Actor::kind, Actor::version)
                .containsExactly(Actor.Kind.PERSON, null);
        assertThat(Actor.system("ca-core", "0.1.0").policyId()).isNull();
        assertThat(Actor.policy("ra", "1", "p", "00ff").policyDigestBytes()).containsExactly(0x00, 0xff);
        assertThatThrownBy(() -> Actor.person("alice", null)).hasMessageContaining("PERSON but has no authentication");
        assertThatThrownBy(() -> Actor.person(" ", "x")).hasMessageContaining("actor id is missing");
        assertThatThrownBy(() -> Actor.system("ca", null)).hasMessageContaining("has no version");
        assertThatThrownBy(() -> Actor.policy("ra", "1", "p", "xyz")).hasMessageContaining("policyDigest must be hex");
        assertThatThrownBy(() -> new Actor(Actor.Kind.SYSTEM, "ra", null, "1", "p", null))
                .hasMessageContaining("must be set together");
        assertThatThrownBy(() -> Actor.person("a\0b", "x")).hasMessageContaining("NUL");
        assertThatThrownBy(() -> Actor.person("a\uD800", "x")).hasMessageContaining("unpaired surrogate");
    }

    @Test
    void eventsHashTheirDetail() throws Exception {
        byte[] detail = "the detailed record".getBytes(StandardCharsets.UTF_8);
        AuditEvent e = AuditEvent.of(Actor.system("ca-core", "1"), "crl.published", "crl:17", detail);
        assertThat(e.detailSha256()).isEqualTo(MessageDigest.getInstance("SHA-256").digest(detail));
        assertThatThrownBy(() -> new AuditEvent(Actor.system("ca-core", "1"), "x", "y", new byte[31]))
                .hasMessageContaining("32-byte SHA-256");
        assertThatThrownBy(() -> new AuditEvent(Actor.system("ca-core", "1"), "", "y", new byte[32]))
                .hasMessageContaining("action is missing");
    }
}
