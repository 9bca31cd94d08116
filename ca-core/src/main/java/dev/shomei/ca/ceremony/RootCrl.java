package dev.shomei.ca.ceremony;

import dev.shomei.audit.Actor;
import dev.shomei.audit.AuditEvent;
import dev.shomei.audit.AuditLog;
import dev.shomei.ca.config.CaConfig;
import dev.shomei.pkcs11.HsmToken;
import dev.shomei.pkcs11.Pkcs11Signer;
import dev.shomei.pkcs11.SignerContentSigner;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import javax.sql.DataSource;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;

/**
 * The root CA's CRL (ARL): signed with the root key on the root's token, which is connected for this and for
 * ceremonies only. It lists the CA certificates the root revoked ({@code ca revoke-ca}, the revoked_ca_key table,
 * with their reasons) and proves to relying parties, with {@code openssl verify -crl_check_all}, whether an issuing
 * CA's certificate is revoked. Numbers strictly increase (RFC 5280 §5.2.3).
 *
 * <p>Zone: secure, in the CA room. Touches the root token (sign only), the root_crl table and the audit log.
 */
public final class RootCrl {

    /** An ARL signed and recorded. */
    public record Issued(long number, X509CRL crl, byte[] der) {}

    private final CaConfig config;
    private final DataSource dataSource;
    private final AuditLog log;
    private final Actor actor;
    private final Clock clock;

    public RootCrl(CaConfig config, DataSource dataSource, AuditLog log, Actor actor, Clock clock) {
        this.config = config;
        this.dataSource = dataSource;
        this.log = log;
        this.actor = actor;
        this.clock = clock;
    }

    public Issued issue() {
        String label = config.ceremony().root().label();
        int days = config.ceremony().rootCrlNextUpdateDays() == null ? 365 : config.ceremony().rootCrlNextUpdateDays();
        try (HsmToken root = HsmToken.login(config.rootHsmConfig()); Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            Pkcs11Signer signer = Pkcs11Signer.open(root, label);
            X509Certificate rootCert = signer.certificate();
            long number;
            try (PreparedStatement ps = c.prepareStatement("SELECT coalesce(max(number), 0) + 1 FROM root_crl");
                 ResultSet rs = ps.executeQuery()) {
                rs.next();
                number = rs.getLong(1);
            }
            Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
            Instant next = now.plus(Duration.ofDays(days));
            X509v2CRLBuilder b = new X509v2CRLBuilder(X500Name.getInstance(rootCert.getSubjectX500Principal().getEncoded()),
                    Date.from(now));
            b.setNextUpdate(Date.from(next));
            b.addExtension(Extension.cRLNumber, false, new CRLNumber(BigInteger.valueOf(number)));
            b.addExtension(Extension.authorityKeyIdentifier, false,
                    new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(rootCert));
            java.util.List<dev.shomei.ca.store.CaKeyRevocations.Entry> revoked =
                    dev.shomei.ca.store.CaKeyRevocations.all(c);
            for (var e : revoked) {
                // RFC 5280 §5.3.1: reasonCode is omitted rather than given as unspecified.
                if (e.reason() == dev.shomei.ca.issuance.RevocationReason.UNSPECIFIED) {
                    b.addCRLEntry(e.serial(), Date.from(e.revokedAt()), (org.bouncycastle.asn1.x509.Extensions) null);
                } else {
                    b.addCRLEntry(e.serial(), Date.from(e.revokedAt()), e.reason().code());
                }
            }
            X509CRLHolder holder = b.build(new SignerContentSigner(signer));
            X509CRL crl = new JcaX509CRLConverter().getCRL(holder);
            crl.verify(rootCert.getPublicKey()); // check before recording (a CRL is verified before it is published)
            byte[] der = crl.getEncoded();
            String sha256 = CaHashValues.fingerprint("SHA-256", der).replace(":", "").toLowerCase(java.util.Locale.ROOT);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO root_crl (number, issuer_label, this_update,"
                    + " next_update, der, sha256) VALUES (?, ?, ?, ?, ?, ?)")) {
                ps.setLong(1, number);
                ps.setString(2, label);
                ps.setTimestamp(3, Timestamp.from(now));
                ps.setTimestamp(4, Timestamp.from(next));
                ps.setBytes(5, der);
                ps.setString(6, sha256);
                ps.executeUpdate();
            }
            log.append(c, AuditEvent.of(actor, "root-crl.issued", "crl:" + label + "/" + number,
                    ("issuer=" + label + " number=" + number + " entries=" + revoked.size() + " sha256=" + sha256)
                            .getBytes(StandardCharsets.UTF_8)));
            c.commit();
            return new Issued(number, crl, der);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot record the root CRL: " + e.getMessage(), e);
        } catch (java.security.GeneralSecurityException | IOException e) {
            throw new IllegalStateException("the root CRL did not build or verify: " + e.getMessage(), e);
        }
    }
}
