package dev.shomei.applicant.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Shows the RA's status documents to the applicant, and saves a fetched certificate after checking it.
 *
 * <p>Zone: the applicant's PC. Writes the certificate file it is given.
 */
final class StatusView {

    private StatusView() {}

    static String text(JsonNode n, String path) {
        JsonNode v = n.at(path);
        return v.isMissingNode() || v.isNull() ? "" : v.asText();
    }

    /** The lines an applicant needs: status, who decided and why, the J-LIS check, the certificate. */
    static void describeApplication(JsonNode view, PrintWriter out) {
        out.println("  application " + text(view, "/applicationId") + ": " + text(view, "/status"));
        JsonNode decision = view.at("/decision");
        if (!decision.isMissingNode() && !decision.isNull()) {
            String kind = text(decision, "/decider/kind");
            String who = kind.equals("SYSTEM") ? "the RA's policy " + text(decision, "/decider/policyId")
                    : "RA officer " + text(decision, "/decider/id");
            out.println("  decision: " + text(decision, "/outcome") + " by " + who);
            for (JsonNode r : decision.path("reasons")) {
                out.println("    - " + text(r, "/code") + ": " + text(r, "/detail"));
            }
        }
        if (!text(view, "/revocationCheck/status").isEmpty()) {
            out.println("  J-LIS check of your card's certificate: " + text(view, "/revocationCheck/status"));
        }
        if (!text(view, "/certificate/serial").isEmpty()) {
            out.println("  certificate: serial " + text(view, "/certificate/serial") + ", "
                    + text(view, "/certificate/status"));
        }
        if (!text(view, "/caRefusal").isEmpty()) {
            out.println("  the CA refused to issue: " + text(view, "/caRefusal"));
        }
        out.flush();
    }

    static void describeRevocation(JsonNode view, PrintWriter out) {
        out.println("  revocation request " + text(view, "/revocationRequestId") + ": " + text(view, "/status"));
        for (JsonNode r : view.at("/decision/reasons")) {
            out.println("    - " + text(r, "/code") + ": " + text(r, "/detail"));
        }
        out.flush();
    }

    /**
     * Checks the chain the RA handed out (the certificate is signed by the next one; it certifies {@code key} when
     * given) and writes it; an existing different file is never overwritten.
     */
    static List<X509Certificate> save(String pem, Path file, PublicKey key) throws RefusedException, UsageException {
        List<X509Certificate> chain = new ArrayList<>();
        try {
            CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(
                    pem.getBytes(StandardCharsets.US_ASCII))).forEach(c -> chain.add((X509Certificate) c));
        } catch (CertificateException e) {
            throw new RefusedException("the RA's certificate document cannot be read: " + e.getMessage());
        }
        if (chain.isEmpty()) {
            throw new RefusedException("the RA's certificate document holds no certificate");
        }
        if (chain.size() > 1) {
            try {
                chain.get(0).verify(chain.get(1).getPublicKey());
            } catch (Exception e) {
                throw new RefusedException("the certificate is not signed by the CA certificate that came with it ("
                        + e.getMessage() + "); not saved");
            }
        }
        if (key != null && !Arrays.equals(key.getEncoded(), chain.get(0).getPublicKey().getEncoded())) {
            throw new RefusedException("the certificate the RA returned does not certify your new key; not saved."
                    + " Report this to the RA with the application id");
        }
        byte[] bytes = pem.getBytes(StandardCharsets.US_ASCII);
        try {
            if (Files.exists(file)) {
                if (Arrays.equals(Files.readAllBytes(file), bytes)) {
                    return chain;
                }
                throw new UsageException(file + " exists and holds something else; choose another --cert-out/--out");
            }
            Path parent = file.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            Files.write(file, bytes);
        } catch (IOException e) {
            throw new UsageException("cannot write " + file + ": " + e.getMessage(), e);
        }
        return chain;
    }
}
