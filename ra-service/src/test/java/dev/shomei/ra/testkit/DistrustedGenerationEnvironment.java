package dev.shomei.ra.testkit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.cert.CertificateFactory;
import java.util.HexFormat;
import java.util.Map;

/**
 * The ca-core CA of {@link CaCoreEnvironment} after its issuing generation was revoked by the root (ca revoke-ca):
 * the RA still lists the certificate in {@code ra.orders.ca-certificates} and pins its result signer, but the operator
 * distrusts it by SHA-256 ({@code ra.orders.distrusted-ca-certificates}, in the colon-separated form openssl prints).
 *
 * <p>Zone: tests only.
 */
public class DistrustedGenerationEnvironment extends CaCoreEnvironment {

    @Override
    public Map<String, String> start() {
        Map<String, String> props = new java.util.HashMap<>(super.start());
        try (var in = Files.newInputStream(Path.of(props.get("ra.orders.ca-certificates")))) {
            byte[] der = CertificateFactory.getInstance("X.509").generateCertificate(in).getEncoded();
            String hex = HexFormat.ofDelimiter(":").withUpperCase()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(der));
            props.put("ra.orders.distrusted-ca-certificates", hex);
            return props;
        } catch (Exception e) {
            throw new IllegalStateException("cannot read the issuing CA certificate: " + e.getMessage(), e);
        }
    }
}
