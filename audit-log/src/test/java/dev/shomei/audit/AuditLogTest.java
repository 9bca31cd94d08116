package dev.shomei.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Appending inside the caller's transaction, checkpoints and proofs, on a real PostgreSQL. */
class AuditLogTest {

    @Test
    void appendsGetContiguousSequenceNumbersAndFormAHashChain() throws Exception {
        LogFixture f = LogFixture.create();
        assertThat(f.appendAll(0, 6)).containsExactly(0L, 1L, 2L, 3L, 4L, 5L);
        try (Connection c = f.connect()) {
            List<AuditEntry> entries = f.log.entries(c, 0, 5);
            assertThat(entries).hasSize(6);
            assertThat(f.log.size(c)).isEqualTo(6);
            byte[] prev = new byte[32];
            for (int i = 0; i < 6; i++) {
                AuditEntry e = entries.get(i);
                assertThat(e.seq()).isEqualTo(i);
                assertThat(e.event()).isEqualTo(LogFixture.event(i));
                assertThat(e.prevHash()).as("entry %d links to entry %d", i, i - 1).isEqualTo(prev);
                assertThat(e.hashMatchesContent()).isTrue();
                prev = e.entryHash();
            }
            // Times come from the database clock after the head lock, so they follow the sequence.
            for (int i = 1; i < 6; i++) {
                assertThat(entries.get(i).time()).isAfterOrEqualTo(entries.get(i - 1).time());
            }
            assertThat(f.log.entry(c, 3)).contains(entries.get(3));
            assertThat(f.log.entry(c, 6)).isEmpty();
        }
    }

    @Test
    void theDatabaseAndJavaEncodingsAgreeOnUnusualText() throws Exception {
        // audit_append hashes in SQL and append re-hashes in Java: any disagreement would throw here.
        LogFixture f = LogFixture.create();
        List<AuditEvent> events = List.of(
                AuditEvent.of(Actor.person("山田 太郎", "マイナンバーカード 署名用電子証明書"), "申請.承認", "申請:１２３",
                        new byte[0]),
                AuditEvent.of(new Actor(Actor.Kind.SYSTEM, "ra", "", "1", null, null), "x", "", new byte[] {1}),
                AuditEvent.of(Actor.policy("ra", "2.0", "p\"'\\;--", "ABCDEF"), "emoji.\uD83D\uDE00", "tab\tnewline\n",
                        new byte[] {2}));
        try (Connection c = f.connect()) {
            c.setAutoCommit(false);
            for (AuditEvent e : events) {
                f.log.append(c, e);
            }
            c.commit();
            assertThat(f.log.entries(c, 0, 2)).extracting(AuditEntry::event).containsExactlyElementsOf(events);
        }
        f.checkpoint();
        assertThat(f.verify().ok()).isTrue();
    }

    @Test
    void theEntryIsPartOfTheCallersTransaction() throws Exception {
        LogFixture f = LogFixture.create();
        try (Connection c = f.connect(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE books (id int PRIMARY KEY, what text)");
            c.setAutoCommit(false);

            st.execute("INSERT INTO books VALUES (1, 'issued')");
            assertThat(f.log.append(c, LogFixture.event(0))).isEqualTo(0);
            c.commit();

            // A rolled-back business transaction takes its audit entry with it, and its sequence number.
            st.execute("INSERT INTO books VALUES (2, 'rolled back')");
            assertThat(f.log.append(c, LogFixture.event(1))).isEqualTo(1);
            c.rollback();

            st.execute("INSERT INTO books VALUES (3, 'issued')");
            assertThat(f.log.append(c, LogFixture.event(2))).as("no gap after the rollback").isEqualTo(1);
            c.commit();

            c.setAutoCommit(true);
            try (ResultSet rs = st.executeQuery("SELECT count(*) FROM books")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(2);
            }
            List<AuditEntry> entries = f.log.entries(c, 0, 10);
            assertThat(entries).extracting(AuditEntry::seq).containsExactly(0L, 1L);
            assertThat(entries.get(1).event()).isEqualTo(LogFixture.event(2));
            assertThat(entries.get(1).prevHash()).isEqualTo(entries.get(0).entryHash());
        }
        f.checkpoint();
        assertThat(f.verify().ok()).isTrue();
    }

    @Test
    void appendRefusesAutocommitAndAnotherLogsDatabase() throws Exception {
        LogFixture f = LogFixture.create();
        try (Connection c = f.connect()) {
            assertThatThrownBy(() -> f.log.append(c, LogFixture.event(0)))
                    .isInstanceOf(AuditException.class).hasMessageContaining("autocommit");
            c.setAutoCommit(false);
            f.log.append(c, LogFixture.event(0));
            c.commit();
            AuditLog other = new AuditLog("shomei.example/other");
            assertThatThrownBy(() -> other.append(c, LogFixture.event(1)))
                    .isInstanceOf(AuditException.class)
                    .hasMessageContaining("holds the audit log '" + LogFixture.ORIGIN + "'");
            c.rollback();
        }
    }

    @Test
    void sqlErrorsAreWrappedNamingWhatFailed() throws Exception {
        LogFixture f = LogFixture.create();
        try (Connection c = f.connect(); Statement st = c.createStatement()) {
            st.execute("DROP TABLE audit_entry CASCADE");
            c.setAutoCommit(false);
            assertThatThrownBy(() -> f.log.append(c, LogFixture.event(0)))
                    .isInstanceOf(AuditException.class)
                    .hasMessageContaining("cannot append audit entry 'certificate.issued'")
                    .hasMessageContaining("audit_entry");
        }
    }

    @Test
    void checkpointsAreSignedIncrementalAndMatchTheTreeOfTheEntries() throws Exception {
        LogFixture f = LogFixture.create();
        Checkpoint empty = f.checkpoint();
        assertThat(empty.treeSize()).isZero();
        assertThat(empty.rootHash()).isEqualTo(MerkleTree.emptyRoot());

        f.appendAll(0, 7);
        Checkpoint c7 = f.checkpoint();
        f.appendAll(7, 13);
        Checkpoint c13 = f.checkpoint();
        Checkpoint again = f.checkpoint();

        LeafHashes leaves = new LeafHashes();
        try (Connection c = f.connect()) {
            f.log.entries(c, 0, 12).forEach(e -> leaves.add(MerkleTree.leafHash(e.encode())));
            MerkleTree tree = new MerkleTree(leaves);
            assertThat(c7.treeSize()).isEqualTo(7);
            assertThat(c7.rootHash()).isEqualTo(tree.rootHash(7));
            assertThat(c13.treeSize()).isEqualTo(13);
            assertThat(c13.rootHash()).isEqualTo(tree.rootHash(13));
            assertThat(again.sameTree(c13)).isTrue();

            for (Checkpoint cp : List.of(empty, c7, c13)) {
                assertThat(cp.origin()).isEqualTo(LogFixture.ORIGIN);
                assertThat(cp.verify(f.keys.getPublic())).isTrue();
                assertThat(Checkpoint.parse(cp.text())).isEqualTo(cp);
            }
            assertThat(f.log.checkpoints(c)).containsExactly(empty, c7, c13, again);
            assertThat(f.log.latestCheckpoint(c)).contains(again);
            assertThat(f.log.checkpointOfSize(c, 7)).contains(c7);

            // Every entry is provably in the signed tree; the two checkpoints are provably consistent.
            for (long seq = 0; seq < 13; seq++) {
                InclusionProof p = f.log.proveInclusion(c, seq, 13);
                assertThat(p.check(f.log.entry(c, seq).orElseThrow().entryHash(), c13.rootHash()))
                        .as("inclusion of %d", seq).isTrue();
                assertThat(p.check(f.log.entry(c, seq).orElseThrow().entryHash(), c7.rootHash())).isFalse();
            }
            assertThat(f.log.proveConsistency(c, 7, 13).check(c7.rootHash(), c13.rootHash())).isTrue();
            assertThat(f.log.proveConsistency(c, 7, 13).check(c13.rootHash(), c7.rootHash())).isFalse();
            assertThatThrownBy(() -> f.log.proveInclusion(c, 13, 13)).hasMessageContaining("not in a tree of size 13");
        }
    }

    @Test
    void checkpointRefusesToSignATamperedLog() throws Exception {
        LogFixture f = LogFixture.create();
        f.appendAll(0, 4);
        f.checkpoint();
        f.appendAll(4, 8);
        f.tamper("UPDATE audit_entry SET subject = 'serial:forged' WHERE seq = 6");
        assertThatThrownBy(f::checkpoint).isInstanceOf(AuditException.class)
                .hasMessageContaining("refusing to sign: entry 6");
    }

    @Test
    void aCheckpointNeverExtendsATreeItsSignerDidNotSign() throws Exception {
        LogFixture f = LogFixture.create();
        f.appendAll(0, 5);
        f.checkpoint();
        f.appendAll(5, 9);
        // A forged row for size 9, with a root and frontier of someone's choosing and a signature by another key.
        var other = LogFixture.ecKeyPair();
        CheckpointSigner forger = new PrivateKeyCheckpointSigner("forger", "SHA256withECDSA", other.getPrivate(),
                other.getPublic());
        MerkleFrontier fake = MerkleFrontier.empty();
        for (int i = 0; i < 9; i++) {
            fake.append(MerkleTree.leafHash(new byte[] {(byte) i}));
        }
        Checkpoint forged = Checkpoint.sign(LogFixture.ORIGIN, 9, fake.root(), java.time.Instant.now(), forger);
        f.tamper("INSERT INTO audit_checkpoint (origin, tree_size, root_hash, signed_at, key_name, checkpoint, frontier)"
                + " VALUES ('" + LogFixture.ORIGIN + "', 9, '\\x" + forged.rootHex() + "', now(), 'forger', '"
                + forged.text() + "', '\\x" + java.util.HexFormat.of().formatHex(fake.encode()) + "')");
        f.appendAll(9, 11);

        Checkpoint next = f.checkpoint();
        LeafHashes leaves = new LeafHashes();
        try (Connection c = f.connect()) {
            f.log.entries(c, 0, 10).forEach(e -> leaves.add(e.computeHash()));
        }
        assertThat(next.treeSize()).isEqualTo(11);
        assertThat(next.rootHash()).as("computed from the entries, not from the forged frontier")
                .isEqualTo(new MerkleTree(leaves).rootHash(11));

        // A key rollover takes the same path: the new key starts from the first entry.
        var rolled = LogFixture.ecKeyPair();
        CheckpointSigner newKey = new PrivateKeyCheckpointSigner("audit-2027", "SHA256withECDSA", rolled.getPrivate(),
                rolled.getPublic());
        try (Connection c = f.connect()) {
            Checkpoint afterRollover = f.log.checkpoint(c, newKey);
            assertThat(afterRollover.sameTree(next)).isTrue();
            assertThat(afterRollover.verify(rolled.getPublic())).isTrue();
        }
    }

    @Test
    void anEmptyLogVerifiesAndSaysSo() throws Exception {
        LogFixture f = LogFixture.create();
        VerificationReport r = f.verify();
        assertThat(r.ok()).as(r.render()).isTrue();
        assertThat(r.passed()).containsExactly("head row: points at the last entry (log is empty)",
                "checkpoints: none stored yet (nothing signed to check the entries against)");
        f.checkpoint();
        assertThat(f.verify().ok()).isTrue();
    }

    @Test
    void entriesWithoutAnyCheckpointDoNotVerify() throws Exception {
        LogFixture f = LogFixture.create();
        f.appendAll(0, 3);
        VerificationReport r = f.verify();
        assertThat(r.ok()).as(r.render()).isFalse();
        assertThat(r.problems()).extracting(VerificationReport.Problem::kind)
                .containsExactly(VerificationReport.Kind.NOT_ANCHORED);
        assertThat(r.render()).contains("the log holds 3 entries but no signed checkpoint");
        f.checkpoint();
        assertThat(f.verify().ok()).isTrue();
    }

    @Test
    void aSignerWhoseKeyDoesNotMatchIsRefused() throws Exception {
        LogFixture f = LogFixture.create();
        f.appendAll(0, 2);
        CheckpointSigner wrong = new PrivateKeyCheckpointSigner("mismatched", "SHA256withECDSA",
                f.keys.getPrivate(), LogFixture.ecKeyPair().getPublic());
        try (Connection c = f.connect()) {
            assertThatThrownBy(() -> f.log.checkpoint(c, wrong)).isInstanceOf(AuditException.class)
                    .hasMessageContaining("mismatched").hasMessageContaining("does not verify");
            assertThat(f.log.checkpoints(c)).isEmpty();
        }
    }

    @Test
    void concurrentWritersGetAContiguousSequenceAndAValidChain() throws Exception {
        LogFixture f = LogFixture.create();
        int threads = 8;
        int perThread = 150;
        List<Thread> workers = new ArrayList<>();
        List<Long> seqs = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int t = 0; t < threads; t++) {
            int base = t * perThread;
            workers.add(Thread.ofPlatform().start(() -> {
                try (Connection c = f.connect()) {
                    c.setAutoCommit(false);
                    for (int i = 0; i < perThread; i++) {
                        seqs.add(f.log.append(c, LogFixture.event(base + i)));
                        c.commit();
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }));
        }
        for (Thread w : workers) {
            // A writer stuck on the head row's lock fails the test instead of hanging the build.
            assertThat(w.join(java.time.Duration.ofMinutes(5))).as("writer " + w + " finished within 5 min").isTrue();
        }
        assertThat(failures).isEmpty();
        assertThat(seqs).hasSize(threads * perThread).doesNotHaveDuplicates();
        assertThat(seqs.stream().mapToLong(Long::longValue).max().orElseThrow()).isEqualTo(threads * perThread - 1);
        assertThat(f.checkpoint().treeSize()).isEqualTo(threads * perThread);
        VerificationReport r = f.verify();
        assertThat(r.problems()).isEmpty();
        assertThat(r.entriesChecked()).isEqualTo(threads * perThread);
    }
}
