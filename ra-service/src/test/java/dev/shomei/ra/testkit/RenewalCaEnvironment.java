package dev.shomei.ra.testkit;

import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.util.Date;
import java.util.HashMap;
import java.util.Map;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The ca-core CA of {@link CaCoreEnvironment}, ready for an issuing-key renewal under a quorum: two approvers with
 * their own credentials (certificate and key files, as in the quickstart) and {@code approvals.quorum.renewal: 2}.
 * The RA pins the CA's root certificate from the ceremony ({@code ra.orders.root-certificates}) and, like a freshly
 * configured RA, only the first issuing generation in {@code ra.orders.ca-certificates}; it does not pin the result
 * signer.
 *
 * <p>Zone: tests only.
 */
public class RenewalCaEnvironment extends CaCoreEnvironment {

    @Override
    public Map<String, String> start() {
        Map<String, String> props = new HashMap<>(super.start());
        try {
            Path config = Path.of(props.get("test.ca.config"));
            Path dir = config.getParent();
            Path root = dir.resolve("ceremony").resolve("root-ca.pem");
            if (!Files.isRegularFile(root)) {
                throw new IllegalStateException("the ceremony wrote no " + root);
            }
            props.put("ra.orders.root-certificates", root.toString());
            // The RA does not pin the result signer: it accepts a result signer certified by a trusted generation,
            // so the new generation's signer is accepted with the generation (a pin would be a pin: docs/order-bundles.md).
            props.remove("ra.orders.result-signer-certificates");
            StringBuilder approvers = new StringBuilder();
            for (String[] who : new String[][] {{"alice", "Alice Operator", "operator"}, {"bob", "Bob Witness", "witness"}}) {
                Path[] cred = credential(dir, who[0], who[1]);
                approvers.append("    - { name: ").append(who[1]).append(", role: ").append(who[2])
                        .append(", certificate: ").append(cred[0]).append(" }\n");
                props.put("test.ca.approver." + who[0] + ".certificate", cred[0].toString());
                props.put("test.ca.approver." + who[0] + ".key", cred[1].toString());
            }
            Files.writeString(config, Files.readString(config) + "approvals:\n  approvers:\n" + approvers
                    + "  quorum: { renewal: 2 }\n", StandardCharsets.UTF_8);
            return props;
        } catch (Exception e) {
            throw new IllegalStateException("cannot set up the renewal approvers: " + e.getMessage(), e);
        }
    }

    /** A person's credential as files: [certificate, key] (PEM). */
    private static Path[] credential(Path dir, String file, String name) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC", new org.bouncycastle.jce.provider.BouncyCastleProvider());
        g.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair k = g.generateKeyPair();
        X500Name dn = new X500Name("CN=" + name + ",O=Shomei Test,C=JP");
        X509Certificate cert = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(dn,
                BigInteger.valueOf(System.nanoTime()), new Date(System.currentTimeMillis() - 60_000),
                new Date(System.currentTimeMillis() + 86_400_000L), dn, k.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(k.getPrivate())));
        return new Path[] {pem(dir.resolve(file + ".pem"), cert), pem(dir.resolve(file + ".key"), k.getPrivate())};
    }

    private static Path pem(Path file, Object o) throws Exception {
        StringWriter w = new StringWriter();
        try (JcaPEMWriter p = new JcaPEMWriter(w)) {
            p.writeObject(o);
        }
        Files.writeString(file, w.toString());
        return file;
    }
}
