package dev.shomei.ca.cli;

import dev.shomei.ca.approval.Act;
import dev.shomei.ca.approval.Approval;
import dev.shomei.ca.approval.ApproverCredential;
import dev.shomei.ca.config.ConfigException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code ca approval}: the offline M-of-N flow (docs/key-ceremony.md, "Approvals"). {@code request} writes the
 * exact act a command would do; each approver checks it and signs it with their own credential ({@code sign});
 * the command then runs with {@code --approvals}.
 *
 * <p>Zone: secure. {@code sign} needs no CA configuration: it runs wherever the approver's token is.
 */
@Command(name = "approval", description = "Request, sign and show approvals of acts that need a quorum.",
        subcommands = {ApprovalCommand.Request.class, ApprovalCommand.Sign.class, ApprovalCommand.Show.class})
final class ApprovalCommand {

    @ParentCommand CaCli parent;

    /** The commands whose acts can be put to a quorum (each passes through ActAuthorization). */
    static final Set<String> ACTS = Set.of("ceremony", "issue", "revoke", "delegate", "renew-issuing", "destroy-key",
            "revoke-ca", "config-approve", "backup-key", "restore-key");

    @Command(name = "request", description = "Write the act a command would do, for the approvers to sign:"
            + " ca approval request --out act.json -- revoke --serial HEX --reason keyCompromise")
    static final class Request implements Callable<Integer> {
        @ParentCommand ApprovalCommand approval;
        @Option(names = "--out", required = true, description = "where to write the act (JSON)") Path out;
        @Option(names = "--valid-hours", description = "how long approvers have to sign and the act to run"
                + " (default and limit: approvals.maxValidityHours, 24)") Integer validHours;
        @Parameters(arity = "1..*", paramLabel = "COMMAND", description = "the command and its options, after '--'")
        List<String> act;

        @Override
        public Integer call() {
            if (!ACTS.contains(act.get(0))) {
                throw new ConfigException("'" + act.get(0) + "' is not an act put to a quorum; one of " + ACTS
                        + " (write: ca approval request --out act.json -- revoke --serial ...)");
            }
            CaCli sub = approval.parent.forRequest(out, validHours == null ? null : Duration.ofHours(validHours));
            return SecureZoneCommandLine.execute("ca", sub, act.toArray(String[]::new));
        }
    }

    @Command(name = "sign", description = "Check an act and sign it with your own credential.")
    static final class Sign implements Callable<Integer> {
        @Option(names = "--act", required = true) Path actFile;
        @ArgGroup(exclusive = true, multiplicity = "1") Credential credential;
        @Option(names = "--out", required = true, description = "where to write your approval") Path out;

        static final class Credential {
            @ArgGroup(exclusive = false) Files files;
            @ArgGroup(exclusive = false) Token token;
        }

        static final class Files {
            @Option(names = "--cert", required = true, description = "your certificate (PEM or DER), for tests") Path cert;
            @Option(names = "--key", required = true, description = "your key (unencrypted PEM), for tests") Path key;
        }

        static final class Token {
            @Option(names = "--token-key", required = true,
                    description = "your key on your own token: pkcs11:token=YOUR-TOKEN;object=KEY-LABEL") String uri;
            @Option(names = "--module", description = "PKCS#11 module of your token") Path module;
            @Option(names = "--pin", description = "PIN source of your token: file:PATH or env:NAME") String pin;
        }

        @Override
        public Integer call() throws IOException {
            Act act = Act.parse(read(actFile));
            Instant now = Instant.now();
            if (now.isBefore(act.notBefore()) || !now.isBefore(act.notAfter())) {
                throw new ConfigException("the act in " + actFile + " is valid from " + act.notBefore() + " to "
                        + act.notAfter() + "; it is now " + now + ": ask for a new request");
            }
            System.out.println("You are approving:");
            System.out.print(act.describe());
            try (ApproverCredential c = credential.files != null
                    ? ApproverCredential.files(credential.files.cert, credential.files.key)
                    : ApproverCredential.pkcs11(credential.token.uri, credential.token.module, credential.token.pin)) {
                Approval a = Approval.sign(act, c, now);
                if (!a.signatureVerifies()) {
                    throw new ConfigException("the signature does not verify with the certificate: are key and"
                            + " certificate a pair?");
                }
                java.nio.file.Files.writeString(out, a.toJsonText(), StandardCharsets.UTF_8);
                System.out.println("approved by " + c.certificate().getSubjectX500Principal().getName()
                        + " (certificate SHA-256 " + a.approverFingerprint() + "), written to " + out);
            }
            return 0;
        }
    }

    @Command(name = "show", description = "Show what an act or approval file approves, and check its signature.")
    static final class Show implements Callable<Integer> {
        @Parameters(arity = "1..*", paramLabel = "FILE") List<Path> files;

        @Override
        public Integer call() throws IOException {
            boolean ok = true;
            for (Path f : files) {
                String text = read(f);
                System.out.println(f + ":");
                if (text.contains("\"" + Approval.FORMAT + "\"")) {
                    Approval a = Approval.parse(text, f.toString());
                    System.out.print(a.act().describe());
                    boolean v = a.signatureVerifies();
                    ok &= v;
                    System.out.println("approver:    " + a.approver().getSubjectX500Principal().getName() + " (SHA-256 "
                            + a.approverFingerprint() + "), signed at " + a.signedAt() + ", signature "
                            + (v ? "verifies" : "DOES NOT VERIFY"));
                } else {
                    System.out.print(Act.parse(text).describe());
                }
            }
            return ok ? 0 : SecureZoneCommandLine.REFUSED;
        }
    }

    static String read(Path f) {
        try {
            return java.nio.file.Files.readString(f, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException("cannot read " + f + ": " + e.getMessage());
        }
    }
}
