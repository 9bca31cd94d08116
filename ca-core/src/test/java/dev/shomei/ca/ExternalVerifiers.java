package dev.shomei.ca;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertStore;
import java.security.cert.CertificateFactory;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXParameters;
import java.security.cert.PKIXRevocationChecker;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;

/** Verifiers that are not ours: the openssl command and the JDK's PKIX CertPathValidator. */
final class ExternalVerifiers {

    record Run(int exit, String output) {}

    private ExternalVerifiers() {}

    static Run openssl(Path dir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        Path log = Files.createTempFile(dir, "openssl-", ".out");
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        // Every outside process is waited for with a deadline: a hung openssl fails the test, never hangs it.
        if (!p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
            throw new AssertionError("openssl " + String.join(" ", args) + " did not finish within 120 s");
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        Files.delete(log);
        return new Run(p.exitValue(), out);
    }

    static Path writePem(Path file, Object... objects) throws IOException {
        StringWriter w = new StringWriter();
        try (JcaPEMWriter p = new JcaPEMWriter(w)) {
            for (Object o : objects) {
                p.writeObject(o);
            }
        }
        Files.writeString(file, w.toString());
        return file;
    }

    /**
     * Validates leaf → issuing → root with the JDK's PKIX validator, checking the leaf's revocation
     * status against the given CRL only (no network). Returns null if valid, else the failure.
     */
    static CertPathValidatorException pkix(X509Certificate leaf, X509Certificate issuing, X509Certificate root,
                                           X509CRL crl) throws Exception {
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(root, null)));
        params.addCertStore(CertStore.getInstance("Collection",
                new CollectionCertStoreParameters(List.of(issuing, crl))));
        CertPathValidator v = CertPathValidator.getInstance("PKIX");
        PKIXRevocationChecker rc = (PKIXRevocationChecker) v.getRevocationChecker();
        rc.setOptions(EnumSet.of(PKIXRevocationChecker.Option.ONLY_END_ENTITY,
                PKIXRevocationChecker.Option.PREFER_CRLS, PKIXRevocationChecker.Option.NO_FALLBACK));
        params.addCertPathChecker(rc);
        params.setRevocationEnabled(false); // the checker above does the revocation check
        try {
            v.validate(cf.generateCertPath(List.of(leaf, issuing)), params);
            return null;
        } catch (CertPathValidatorException e) {
            return e;
        }
    }
}
