package dev.shomei.ca;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Configuration changes under quorum (approvals.quorum.configuration): the CA refuses to run with a configuration
 * nobody approved, or changed since its approval (naming the setting), and runs again once the quorum approved the
 * change. A change that adds an approver cannot be carried by that new approver: it needs the quorum of the people
 * approved before it (the attack: Mallory lists herself and signs with one insider).
 */
class ConfigurationQuorumTest {

    private static CaCommand.Result ca(String... args) {
        return CaCommand.run(args);
    }

    private static void requestAndSign(CaFixture f, String name, Path[]... who) {
        Path act = f.dir.resolve(name + ".json");
        CaCommand.Result r = ca("--config", f.configFile.toString(), "approval", "request", "--out", act.toString(), "--",
                "config-approve");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("config.sha256 = ", "config.changed = ");
        for (int i = 0; i < who.length; i++) {
            QuorumTestSupport.sign(act, who[i], f.dir.resolve(name + "-" + i + ".sig"));
        }
    }

    private static String[] approve(CaFixture f, String name, int n) {
        String[] args = new String[4 + n];
        args[0] = "--config";
        args[1] = f.configFile.toString();
        args[2] = "config-approve";
        args[3] = "--approvals";
        for (int i = 0; i < n; i++) {
            args[4 + i] = f.dir.resolve(name + "-" + i + ".sig").toString();
        }
        return args;
    }

    @Test
    void unapprovedConfigurationIsRefusedAndApprovedOneRuns() throws Exception {
        try (CaFixture f = CaFixture.create("config-quorum", "EC-P256", "EC-P256")) {
            String cfg = f.configFile.toString();
            Path[] alice = QuorumTestSupport.fileCredential(f.dir, "Alice Operator");
            Path[] bob = QuorumTestSupport.fileCredential(f.dir, "Bob Witness");
            Path[] mallory = QuorumTestSupport.fileCredential(f.dir, "Mallory Insider");
            String base = Files.readString(f.configFile);
            String approvals = """
                    approvals:
                      approvers:
                        - { name: Alice Operator, role: operator, certificate: %s }
                        - { name: Bob Witness,    role: witness,  certificate: %s }
                      quorum: { configuration: 2 }
                    """.formatted(alice[0], bob[0]);
            Files.writeString(f.configFile, base + approvals);

            // Nothing approved yet: the CA does not run.
            CaCommand.Result first = ca("--config", cfg, "ceremony", "--operator", "Op");
            assertThat(first.exit()).isEqualTo(2);
            assertThat(first.err()).contains("no configuration has been approved yet");

            requestAndSign(f, "first", alice, bob);
            CaCommand.Result one = ca(approve(f, "first", 1));
            assertThat(one.exit()).isEqualTo(1);
            CaCommand.Result approved = ca(approve(f, "first", 2));
            assertThat(approved.exit()).as(approved.out() + approved.err()).isZero();
            assertThat(approved.out()).contains("configuration approved", "by Alice Operator + Bob Witness");
            CaCommand.Result ceremony = ca("--config", cfg, "ceremony", "--operator", "Op");
            assertThat(ceremony.exit()).as(ceremony.err()).isZero();

            // A change nobody approved (CRL validity doubled): refused, naming the setting.
            Files.writeString(f.configFile, Files.readString(f.configFile).replace("nextUpdateHours: 24", "nextUpdateHours: 48"));
            CaCommand.Result changed = ca("--config", cfg, "crl");
            assertThat(changed.exit()).isEqualTo(2);
            assertThat(changed.err()).contains("differs from the one approved", "[crl.nextUpdateHours]");
            // The root's CRL (ARL) is refused alike, though it logs in to the root's token only, and nothing is signed.
            Path arl = f.dir.resolve("root.crl");
            CaCommand.Result rootCrl = ca("--config", cfg, "root-crl", "--out", arl.toString());
            assertThat(rootCrl.exit()).as(rootCrl.out() + rootCrl.err()).isEqualTo(2);
            assertThat(rootCrl.err()).contains("root-crl: configuration error", "differs from the one approved",
                    "[crl.nextUpdateHours]");
            assertThat(arl).doesNotExist();
            assertThat(f.count("root_crl")).isZero();
            // A change of the ARL's own interval or root key is a change like any other.
            Files.writeString(f.configFile, Files.readString(f.configFile).replace("nextUpdateHours: 48",
                    "nextUpdateHours: 24").replace("ceremony:\n", "ceremony:\n  rootCrlNextUpdateDays: 3650\n"));
            CaCommand.Result longArl = ca("--config", cfg, "root-crl", "--out", arl.toString());
            assertThat(longArl.exit()).as(longArl.out() + longArl.err()).isEqualTo(2);
            assertThat(longArl.err()).contains("[ceremony.rootCrlNextUpdateDays]");
            assertThat(f.count("root_crl")).isZero();

            // Mallory adds herself as an approver and signs the change with one insider: the quorum of the new list
            // is met, the quorum of the people approved before is not. Refused and recorded.
            Files.writeString(f.configFile, base.replace("nextUpdateHours: 24", "nextUpdateHours: 48") + """
                    approvals:
                      approvers:
                        - { name: Alice Operator,  role: operator, certificate: %s }
                        - { name: Bob Witness,     role: witness,  certificate: %s }
                        - { name: Mallory Insider, role: operator, certificate: %s }
                      quorum: { configuration: 2 }
                    """.formatted(alice[0], bob[0], mallory[0]));
            long refusedBefore = f.count("refused_act");
            requestAndSign(f, "mallory", mallory, alice);
            CaCommand.Result attack = ca(approve(f, "mallory", 2));
            assertThat(attack.exit()).as(attack.out() + attack.err()).isEqualTo(1);
            assertThat(attack.err()).contains("approvers of the configuration approved before it");
            assertThat(f.count("refused_act")).isEqualTo(refusedBefore + 1);
            assertThat(ca("--config", cfg, "crl").exit()).isEqualTo(2);

            // The same change approved by the quorum of the approved configuration: the CA runs with it.
            requestAndSign(f, "second", alice, bob);
            CaCommand.Result second = ca(approve(f, "second", 2));
            assertThat(second.exit()).as(second.out() + second.err()).isZero();
            assertThat(second.out()).contains("approvals.approvers", "crl.nextUpdateHours");
            CaCommand.Result crl = ca("--config", cfg, "crl");
            assertThat(crl.exit()).as(crl.err()).isZero();
            CaCommand.Result approvedArl = ca("--config", cfg, "root-crl", "--out", arl.toString());
            assertThat(approvedArl.exit()).as(approvedArl.out() + approvedArl.err()).isZero();
            assertThat(f.count("root_crl")).isEqualTo(1);
            assertThat(f.count("approved_configuration")).isEqualTo(2);
            CaCommand.Result audit = ca("--config", cfg, "audit-verify");
            assertThat(audit.exit()).as(audit.out() + audit.err()).isZero();
        }
    }
}
