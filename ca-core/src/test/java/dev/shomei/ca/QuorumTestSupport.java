package dev.shomei.ca;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.ca.cli.CaCli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Approvers' credentials as files, and 'ca approval sign' with them, for the quorum tests. */
final class QuorumTestSupport {

    private QuorumTestSupport() {}

    /** A person's credential as files: [certificate, key]. */
    static Path[] fileCredential(Path dir, String name) throws Exception {
        KeyPair k = CaFixture.ecKey("secp256r1");
        X500Name dn = new X500Name("CN=" + name + ",O=Shomei Test,C=JP");
        X509Certificate cert = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(dn,
                BigInteger.valueOf(System.nanoTime()), new Date(System.currentTimeMillis() - 60_000),
                new Date(System.currentTimeMillis() + 86_400_000L), dn, k.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(k.getPrivate())));
        String file = name.toLowerCase().replace(' ', '-');
        return new Path[] {ExternalVerifiers.writePem(dir.resolve(file + ".pem"), cert),
                ExternalVerifiers.writePem(dir.resolve(file + ".key"), k.getPrivate())};
    }

    static void sign(Path act, Path[] cred, Path out) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(new ByteArrayOutputStream(), true));
        System.setErr(new PrintStream(err, true));
        int code;
        try {
            code = CaCli.run("approval", "sign", "--act", act.toString(), "--cert", cred[0].toString(), "--key",
                    cred[1].toString(), "--out", out.toString());
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        assertThat(code).as(err.toString()).isZero();
    }
}
