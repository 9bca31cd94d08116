package dev.shomei.ca.ceremony;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shomei.audit.Actor;
import dev.shomei.audit.AuditEvent;
import dev.shomei.audit.AuditLog;
import dev.shomei.ca.issuance.CaOperationException;
import dev.shomei.pkcs11.HsmToken;
import dev.shomei.pkcs11.KeyWrap;
import dev.shomei.pkcs11.Pkcs11Signer;
import dev.shomei.pkcs11.Signer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * CA key backup and restore without the key ever in clear (CP/CPS 6.2.4, 6.2.2; docs/key-ceremony.md, "Backup and
 * restore"): the key, generated sensitive and extractable only wrapped ({@code hsm.keyBackup: wrap}), is wrapped in
 * the HSM under a fresh AES-256 key-encryption key (CKM_AES_KEY_WRAP_PAD, RFC 5649); the KEK is split into N shares of
 * which any M recover it ({@link KekShares}), one per custodian, and then forgotten. A restore combines M shares,
 * unwraps into a fresh token and proves that the restored key signs for the backed-up public key.
 *
 * <p>Zone: secure, in the CA room. Touches one key on the token (wrap or unwrap), the output files and the audit log.
 * The KEK is in this process's memory, in clear, for the length of one wrap or unwrap (a real HSM combines key
 * components inside itself: see the page).
 */
public final class KeyBackup {

    public static final String FORMAT = "shomei-key-backup/v1";
    public static final String SHARE_FORMAT = "shomei-kek-share/v1";

    /** What a backup wrote. */
    public record Written(String backupId, Path backupFile, List<Path> shares, String publicKeySha256) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private final DataSource dataSource;
    private final AuditLog log;
    private final Clock clock;

    public KeyBackup(DataSource dataSource, AuditLog log, Clock clock) {
        this.dataSource = dataSource;
        this.log = log;
        this.clock = clock;
    }

    public Written backup(HsmToken token, String label, int custodians, int threshold, Path out, Actor actor) {
        KeyCeremony.checkOutputDirectory(out);
        X509Certificate[] chain = token.certificateChain(label);
        byte[] kek = new byte[32];
        SecureRandom random = new SecureRandom();
        random.nextBytes(kek);
        try {
            // Step 1: split the KEK before it is used, so that a failure cannot leave a backup nobody can open.
            List<KekShares.Share> shares = KekShares.split(kek, custodians, threshold, random);
            // Step 2: wrap the key in the HSM under the KEK (a session object there, destroyed after the call).
            KeyWrap.Wrapped w = new KeyWrap(token).wrap(label, kek);
            String backupId = UUID.randomUUID().toString();
            String publicKey = sha256Hex(chain[0].getPublicKey().getEncoded());
            ObjectNode b = JSON.createObjectNode();
            b.put("format", FORMAT);
            b.put("backupId", backupId);
            b.put("createdAt", clock.instant().toString());
            b.put("label", label);
            b.put("token", token.config().tokenLabel());
            b.put("mechanism", "CKM_AES_KEY_WRAP_PAD (RFC 5649), AES-256 key-encryption key");
            b.put("keyType", w.keyType());
            b.put("keyId", HexFormat.of().formatHex(w.keyId()));
            b.put("wrappedKey", Base64.getEncoder().encodeToString(w.wrapped()));
            b.put("publicKeySha256", publicKey);
            b.put("kekCheck", kekCheck(kek));
            b.put("threshold", threshold);
            b.put("custodians", custodians);
            var certs = b.putArray("certificates");
            for (X509Certificate c : chain) {
                certs.add(Base64.getEncoder().encodeToString(c.getEncoded()));
            }
            // Step 3: write the backup and one share file per custodian.
            Files.createDirectories(out);
            Path file = out.resolve("backup.json");
            Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(b) + "\n");
            List<Path> shareFiles = new ArrayList<>();
            for (KekShares.Share s : shares) {
                Path p = out.resolve("share-" + s.index() + ".txt");
                Files.writeString(p, SHARE_FORMAT + "\nbackup=" + backupId + "\nlabel=" + label + "\nindex=" + s.index()
                        + "\nthreshold=" + threshold + "\nshare=" + HexFormat.of().formatHex(s.value()) + "\n");
                shareFiles.add(p);
                Arrays.fill(s.value(), (byte) 0);
            }
            // Step 4: record it with who approved it.
            audit(actor, "ca-key.backed-up", label, "backup=" + backupId + " label=" + label + " token="
                    + token.config().tokenLabel() + " public-key-sha256=" + publicKey + " wrapped-sha256="
                    + sha256Hex(w.wrapped()) + " threshold=" + threshold + " custodians=" + custodians
                    + " backup-file-sha256=" + sha256Hex(Files.readAllBytes(file)));
            return new Written(backupId, file, shareFiles, publicKey);
        } catch (IOException | java.security.cert.CertificateEncodingException e) {
            throw new IllegalStateException("cannot write the backup of '" + label + "' to " + out + ": " + e.getMessage(), e);
        } finally {
            Arrays.fill(kek, (byte) 0);
        }
    }

    /**
     * The KEK of the backup, from at least its threshold of shares, checked against the backup before any HSM or
     * approval is involved: too few shares, a share of another backup, or a wrong or altered share are refused here.
     * The caller clears the returned array.
     */
    public static byte[] recoverKek(Path backupFile, List<Path> shareFiles) {
        JsonNode b = read(backupFile);
        String backupId = b.path("backupId").asText();
        int threshold = b.path("threshold").asInt();
        List<KekShares.Share> shares = new ArrayList<>();
        for (Path p : shareFiles) {
            Map<String, String> s = shareFields(p);
            if (!s.get("backup").equals(backupId)) {
                throw new CaOperationException("share " + p + " belongs to backup " + s.get("backup") + ", not to "
                        + backupId + " (" + backupFile + ")");
            }
            shares.add(new KekShares.Share(Integer.parseInt(s.get("index")), HexFormat.of().parseHex(s.get("share"))));
        }
        if (shares.size() < threshold) {
            throw new CaOperationException("backup " + backupId + " needs " + threshold + " custodians' shares; "
                    + shares.size() + " given");
        }
        byte[] kek;
        try {
            kek = KekShares.combine(shares);
        } catch (IllegalArgumentException e) {
            throw new CaOperationException("the shares do not combine: " + e.getMessage());
        }
        if (!kekCheck(kek).equals(b.path("kekCheck").asText())) {
            Arrays.fill(kek, (byte) 0);
            throw new CaOperationException("the shares do not recover the key-encryption key of backup " + backupId
                    + " (a share is wrong or altered); nothing was restored");
        }
        return kek;
    }

    /**
     * Restores the backup into {@code target} (a fresh token) with the KEK from {@link #recoverKek}, then signs a
     * probe with the restored key and checks it against the backed-up public key. Returns the label restored.
     */
    public String restore(HsmToken target, Path backupFile, byte[] kek, int shareCount, Actor actor) {
        JsonNode b = read(backupFile);
        String backupId = b.path("backupId").asText();
        String label = b.path("label").asText();
        int threshold = b.path("threshold").asInt();
        try {
            List<X509Certificate> chain = new ArrayList<>();
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            for (JsonNode c : b.path("certificates")) {
                chain.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(Base64.getDecoder().decode(c.asText()))));
            }
            KeyWrap.Wrapped w = new KeyWrap.Wrapped(Base64.getDecoder().decode(b.path("wrappedKey").asText()),
                    HexFormat.of().parseHex(b.path("keyId").asText()), b.path("keyType").asLong());
            // Step 1: unwrap into the fresh token (the KEK there as a session object only).
            new KeyWrap(target).unwrap(w, kek, label, chain);
            // Step 2: the restored key signs, and for the backed-up public key: through a new login, whose key store
            // lists the token as it is now (the one opened before the unwrap lists what was there then).
            String publicKey;
            Signer.Health h;
            try (HsmToken fresh = HsmToken.login(target.config())) {
                Signer signer = Pkcs11Signer.open(fresh, label);
                publicKey = sha256Hex(signer.certificate().getPublicKey().getEncoded());
                h = signer.health();
            }
            if (!h.ok() || !publicKey.equals(b.path("publicKeySha256").asText())) {
                throw new IllegalStateException("the restored key '" + label + "' does not sign for the backed-up public"
                        + " key (" + h.detail() + "); do not use this token");
            }
            // Step 3: record it.
            audit(actor, "ca-key.restored", label, "backup=" + backupId + " label=" + label + " token="
                    + target.config().tokenLabel() + " public-key-sha256=" + publicKey + " shares=" + shareCount
                    + " of threshold " + threshold + " probe=" + h.detail());
            return label;
        } catch (CertificateException e) {
            throw new CaOperationException("backup " + backupFile + " holds a certificate that does not parse: " + e.getMessage());
        } finally {
            Arrays.fill(kek, (byte) 0);
        }
    }

    /** The SHA-256 of the backup file, which a restore act names (so an approval is for this backup). */
    public static String fileSha256(Path file) {
        try {
            return sha256Hex(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new CaOperationException("cannot read backup " + file + ": " + e.getMessage());
        }
    }

    public static String label(Path backupFile) {
        return read(backupFile).path("label").asText();
    }

    private static JsonNode read(Path backupFile) {
        try {
            JsonNode b = JSON.readTree(Files.readString(backupFile));
            if (!FORMAT.equals(b.path("format").asText())) {
                throw new CaOperationException(backupFile + " is not a key backup (format must be " + FORMAT + ")");
            }
            return b;
        } catch (IOException e) {
            throw new CaOperationException("cannot read backup " + backupFile + ": " + e.getMessage());
        }
    }

    private static Map<String, String> shareFields(Path p) {
        try {
            List<String> lines = Files.readAllLines(p, StandardCharsets.UTF_8);
            if (lines.isEmpty() || !lines.get(0).equals(SHARE_FORMAT)) {
                throw new CaOperationException(p + " is not a key-encryption key share (" + SHARE_FORMAT + ")");
            }
            Map<String, String> m = new LinkedHashMap<>();
            for (String l : lines.subList(1, lines.size())) {
                int i = l.indexOf('=');
                if (i > 0) {
                    m.put(l.substring(0, i), l.substring(i + 1));
                }
            }
            for (String k : List.of("backup", "index", "share")) {
                if (!m.containsKey(k)) {
                    throw new CaOperationException("share " + p + " has no '" + k + "' line");
                }
            }
            return m;
        } catch (IOException e) {
            throw new CaOperationException("cannot read share " + p + ": " + e.getMessage());
        }
    }

    private void audit(Actor actor, String type, String label, String detail) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            log.append(c, AuditEvent.of(actor, type, "ca-key:" + label, detail.getBytes(StandardCharsets.UTF_8)));
            c.commit();
        } catch (SQLException e) {
            throw new IllegalStateException("the key operation was done but recording it failed: " + e.getMessage()
                    + " (" + detail + ")", e);
        }
    }

    /** Lets a restore tell a wrong share from a wrong backup before the HSM is asked; reveals nothing of the KEK. */
    private static String kekCheck(byte[] kek) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update("shomei-kek-check/v1".getBytes(StandardCharsets.US_ASCII));
            return HexFormat.of().formatHex(md.digest(kek));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String sha256Hex(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
