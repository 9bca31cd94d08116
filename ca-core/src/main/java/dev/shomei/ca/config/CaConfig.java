package dev.shomei.ca.config;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.shomei.ca.profile.CertificateProfile;
import dev.shomei.pkcs11.HsmConfig;
import dev.shomei.pkcs11.PinSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The CA's configuration, one YAML file (see {@code docs/ca-configuration.md}; {@code bin/quickstart} writes a
 * complete example). Relative paths are resolved against the file's directory. The CP/CPS is generated from it
 * (docs/cp-cps.md): a setting it states names its clause here.
 *
 * <p>Zone: secure. Holds no secrets: the HSM PIN and database password are read from the sources named here.
 */
public record CaConfig(
        Hsm hsm,
        Database database,
        String issuingKey,
        Ceremony ceremony,
        Repository repository,
        Crl crl,
        Map<String, CertificateProfile> profiles,
        Orders orders,
        Approvals approvals,
        Status status,
        Path baseDirectory) {

    /** The configuration without an approvals section (no quorum anywhere; docs/ca-configuration.md). */
    public CaConfig(Hsm hsm, Database database, String issuingKey, Ceremony ceremony, Repository repository, Crl crl,
                    Map<String, CertificateProfile> profiles, Orders orders, Path baseDirectory) {
        this(hsm, database, issuingKey, ceremony, repository, crl, profiles, orders, null, null, baseDirectory);
    }

    /**
     * The secure zone's status documents (docs/monitoring.md, "The status signer"). {@code signingKey}: RFC 7512 URI
     * of the key that signs them (ca status --push, the pull loop, presigner status --push), a key of its own made
     * with {@code ca delegate --profile status-signer} (keyUsage digitalSignature, extendedKeyUsage statusSigning;
     * one key, one purpose). Unset, no status document is signed or pushed.
     */
    public record Status(String signingKey) {}

    /**
     * @param module      PKCS#11 module of the HSM (CP/CPS 6.2.1)
     * @param token       label of the token holding the CA keys (CP/CPS 6.2.1)
     * @param pin         {@code file:} or {@code env:} source of the PIN, never the PIN itself (CP/CPS 6.4)
     * @param parallelism concurrent HSM operations
     * @param certification the token's declared certification, e.g. "FIPS 140-3 Level 3, certificate #NNNN"
     *                      (CP/CPS 6.2.1: cryptographic module standards), recorded with every ceremony
     * @param location      where the token is kept, e.g. "CA room B2, rack 3" (CP/CPS 5.1.1), recorded likewise
     * @param production    true for a production CA: a software token (SoftHSM2) is then refused (CP/CPS 6.2.1)
     * @param softwareTokenOverride in production, the recorded reason a software token is nevertheless accepted
     * @param keyBackup   {@code wrap}: keys generated on this token are sensitive but extractable under wrapping, so
     *                    that {@code ca backup-key} can export them wrapped under a key-encryption key split among
     *                    custodians (CP/CPS 6.2.4; docs/key-ceremony.md, backup); unset or {@code none}: never
     *                    extractable (CP/CPS 6.2.6), backed up only with the HSM's own scheme
     */
    public record Hsm(String module, String token, String pin, Integer parallelism, String certification,
                      String location, Boolean production, String softwareTokenOverride, String keyBackup) {}

    /**
     * Multi-person control (CP/CPS §5.2.2; docs/key-ceremony.md): the people who may approve acts, each known by
     * the certificate of their own credential, and how many approvals each kind of act needs.
     *
     * @param quorum          kind of act ({@code ceremony}, {@code renewal}, {@code delegate}, {@code issue},
     *                        {@code revoke}, {@code configuration}, {@code backup}, {@code restore},
     *                        {@code destruction}) to the number of approvals it needs
     * @param requireRoles    kind of act to roles that must be among its approvers (e.g. a witness)
     * @param maxValidityHours longest window an act may be approved in, default 24
     */
    public record Approvals(List<Approver> approvers, Map<String, Integer> quorum, Map<String, List<String>> requireRoles,
                            Integer maxValidityHours) {}

    /** One person who may approve: name, role (operator, witness, auditor), certificate file (PEM or DER). */
    public record Approver(String name, String role, String certificate) {}

    /**
     * {@code embedded}: data directory of the embedded PostgreSQL (the default); or an external {@code url}, where
     * the CA connects as {@code user} (a member of shomei_service and shomei_audit_writer) and runs migrations as
     * {@code ownerUser}, the owner of the tables (docs/database.md). Passwords are read from files.
     */
    public record Database(String embedded, String url, String user, String passwordFile, String ownerUser,
                           String ownerPasswordFile) {}

    /**
     * One CA key made at the ceremony (docs/key-ceremony.md).
     *
     * @param subject       the CA's distinguished name (CP/CPS 1.3.1)
     * @param algorithm     EC-P256, EC-P384, RSA-3072 or RSA-4096 (CP/CPS 6.1.5)
     * @param validityYears CA certificate validity, default 10 (CP/CPS 6.3.2)
     */
    public record CaKey(String label, String algorithm, String subject, Integer validityYears, Integer pathLength) {}

    /**
     * @param rootToken the token holding the root key, when it is kept apart from the issuing CA's (an offline
     *                  root, CP/CPS 6.2.7 and 5.1): connected only for the ceremony and the root's own signing;
     *                  absent, the root key is made on {@code hsm.token} beside the issuing key
     * @param rootCrlNextUpdateDays validity of the root's CRL (ARL), default 365 (CP/CPS 4.9.7)
     */
    public record Ceremony(String output, CaKey root, CaKey issuing, Hsm rootToken, Integer rootCrlNextUpdateDays) {}

    /**
     * Where relying parties fetch things (CP/CPS 2.2: publication); URLs go into certificates. A URL may hold
     * {@value #GENERATION}, replaced by the label of the issuing key that signs the certificate: after a renewal each
     * generation's certificates point at that generation's own CRL and CA certificate ({@code crl/<label>.crl},
     * {@code certs/<label>.cer} in the publication bundle), which the old generation keeps signing until its last
     * certificate expires (docs/key-ceremony.md, renewal). One OCSP URL serves every generation: the request's
     * CertID names the issuer (RFC 6960 §4.1.1).
     */
    public record Repository(String crlUrl, String ocspUrl, String caIssuersUrl) {

        public static final String GENERATION = "{generation}";

        /** The URLs as written into a certificate of the issuing-key generation {@code issuerLabel}. */
        public Repository forGeneration(String issuerLabel) {
            boolean templated = java.util.stream.Stream.of(crlUrl, ocspUrl, caIssuersUrl)
                    .anyMatch(u -> u != null && u.contains(GENERATION));
            if (templated && !issuerLabel.matches("[A-Za-z0-9._~-]+")) {
                // RFC 3986 §2.3 unreserved characters only: the label becomes a path segment as is.
                throw new ConfigException("issuing key label '" + issuerLabel + "' cannot be a URL path segment for "
                        + GENERATION + " in 'repository': use letters, digits, '.', '_', '~' and '-' only");
            }
            return new Repository(fill(crlUrl, issuerLabel), fill(ocspUrl, issuerLabel), fill(caIssuersUrl, issuerLabel));
        }

        /**
         * The settings that would send the certificates of two generations to one CRL or one CA certificate: set,
         * and without {@value #GENERATION}. A renewal refuses them.
         */
        public List<String> sharedAcrossGenerations() {
            List<String> shared = new java.util.ArrayList<>();
            if (crlUrl != null && !crlUrl.isBlank() && !crlUrl.contains(GENERATION)) {
                shared.add("repository.crlUrl");
            }
            if (caIssuersUrl != null && !caIssuersUrl.isBlank() && !caIssuersUrl.contains(GENERATION)) {
                shared.add("repository.caIssuersUrl");
            }
            return shared;
        }

        private static String fill(String url, String label) {
            return url == null ? null : url.replace(GENERATION, label);
        }
    }

    /**
     * CRL issuance (CP/CPS 4.9.7: CRL issuance frequency; nextUpdate at most this far ahead). {@code
     * auditCheckpointKey}: RFC 7512 URI of the key that signs the audit checkpoint issued with every CRL, a key of
     * its own made with {@code ca delegate --profile audit-checkpoint} (one key, one purpose); unset, the issuing key
     * signs them, with a warning. {@code shards}: partitioned CRLs (docs/crl.md): each certificate's CRL distribution
     * point names shard {@code serial mod shards}, and every CRL run also signs one CRL per shard; 0 or unset: the
     * full CRL only. Fixed for the life of an issuing key (a CRL run refuses a count other than its predecessor's).
     */
    public record Crl(Integer nextUpdateHours, String auditCheckpointKey, Integer shards) {}

    /**
     * RA orders (docs/order-bundles.md): the RA order-signing certificates the CA accepts, the profiles an
     * order may name (the CA's allow-list, not the RA's choice), the largest bundle the CA reads, and where it
     * pulls bundles from (an outbound HTTPS connection; the CA opens no port). {@code resultSigningKey}: RFC 7512
     * URI of the key that signs result bundles, a key of its own made with {@code ca delegate --profile
     * result-bundle-signer} (keyUsage digitalSignature, extendedKeyUsage resultBundleSigning; one key, one purpose);
     * unset, the issuing key signs them, with a warning (docs/order-bundles.md, "The result signer").
     */
    public record Orders(List<String> trustedRaCertificates, List<String> allowedProfiles, Long maxBundleBytes,
                         Pull pull, String resultSigningKey) {
        public Orders(List<String> trustedRaCertificates, List<String> allowedProfiles, Long maxBundleBytes, Pull pull) {
            this(trustedRaCertificates, allowedProfiles, maxBundleBytes, pull, null);
        }
    }

    /** The profile RA orders may use when {@code orders.allowedProfiles} is not set (CP/CPS §1.4.1, §7.1). */
    public static final List<String> DEFAULT_ORDER_PROFILES = List.of("subscriber-signature");

    /** 16 MiB: far above a full bundle of the RA's (1,000 orders of a few KiB), far below the CA's heap. */
    public static final long DEFAULT_MAX_BUNDLE_BYTES = 16L * 1024 * 1024;

    /**
     * {@code url}: the RA's CA-facing base URL; client TLS key and certificate in a PKCS#12 file.
     * {@code intervalSeconds}: pause between pulls, default 60, bounding how long an approved revocation waits for
     * the CA (CP/CPS 4.9.5).
     */
    public record Pull(String url, Integer intervalSeconds, String clientKeystore, String clientKeystorePasswordFile,
                       String trustedServerCertificates) {}

    public static CaConfig load(Path file) {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory())
                .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);
        try {
            CaConfig raw = yaml.readValue(Files.readString(file), CaConfig.class);
            return raw.withBase(file.toAbsolutePath().getParent());
        } catch (UnrecognizedPropertyException e) {
            throw new ConfigException(file + ": unknown setting '" + e.getPropertyName() + "' at "
                    + e.getPathReference() + "; known settings here: " + e.getKnownPropertyIds());
        } catch (IOException e) {
            throw new ConfigException("cannot read CA configuration " + file + ": " + e.getMessage());
        }
    }

    private CaConfig withBase(Path base) {
        return new CaConfig(hsm, database, issuingKey, ceremony, repository, crl,
                profiles == null ? Map.of() : profiles, orders, approvals, status, base);
    }

    public Path resolve(String path) {
        Path p = Path.of(path);
        return p.isAbsolute() ? p : baseDirectory.resolve(p).normalize();
    }

    /** The RA order-signing certificates, read from the PEM files {@code orders.trustedRaCertificates} names. */
    public List<java.security.cert.X509Certificate> trustedRaCertificates() {
        if (orders == null || orders.trustedRaCertificates() == null || orders.trustedRaCertificates().isEmpty()) {
            throw new ConfigException("orders.trustedRaCertificates is not set: list the RA order-signing certificate files (PEM)");
        }
        List<java.security.cert.X509Certificate> certs = new java.util.ArrayList<>();
        for (String f : orders.trustedRaCertificates()) {
            Path p = resolve(f);
            try (var in = Files.newInputStream(p)) {
                for (var c : java.security.cert.CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                    certs.add((java.security.cert.X509Certificate) c);
                }
            } catch (IOException | java.security.cert.CertificateException e) {
                throw new ConfigException("orders.trustedRaCertificates: cannot read " + p + ": " + e.getMessage());
            }
        }
        return certs;
    }

    /**
     * The profiles RA orders may name. A profile that certifies a key for the CA's own purposes (OCSP signing,
     * id-pkix-ocsp-nocheck) can never be listed: such keys are generated in the HSM (ca delegate), never taken
     * from an order.
     */
    public List<String> orderProfiles() {
        List<String> names = orders == null || orders.allowedProfiles() == null ? DEFAULT_ORDER_PROFILES
                : List.copyOf(orders.allowedProfiles());
        for (String n : names) {
            CertificateProfile p = profiles.get(n);
            if (p != null && (p.ocspNoCheck() || p.extendedKeyUsage().stream()
                    .anyMatch(u -> u.equalsIgnoreCase("ocspSigning") || u.equals("1.3.6.1.5.5.7.3.9")))) {
                throw new ConfigException("orders.allowedProfiles names '" + n + "', an OCSP responder profile:"
                        + " responder keys are made in the HSM with 'ca delegate', never from an RA order; remove it");
            }
        }
        return names;
    }

    /** The largest order bundle the CA reads, pulled or imported ({@code orders.maxBundleBytes}). */
    public long maxOrderBundleBytes() {
        long max = orders == null || orders.maxBundleBytes() == null ? DEFAULT_MAX_BUNDLE_BYTES : orders.maxBundleBytes();
        if (max < 1024) {
            throw new ConfigException("orders.maxBundleBytes is " + max + "; give at least 1024 (default "
                    + DEFAULT_MAX_BUNDLE_BYTES + ")");
        }
        return max;
    }

    public HsmConfig hsmConfig() {
        if (hsm == null) {
            throw new ConfigException("the 'hsm' section is missing: give module, token and pin");
        }
        return hsmConfig(hsm, "hsm");
    }

    /** Whether the root key is kept on a token of its own ({@code ceremony.rootToken}). */
    public boolean separateRootToken() {
        return ceremony != null && ceremony.rootToken() != null;
    }

    /** The token holding the root key: {@code ceremony.rootToken}, or {@code hsm} when the root shares it. */
    public HsmConfig rootHsmConfig() {
        return separateRootToken() ? hsmConfig(ceremony.rootToken(), "ceremony.rootToken") : hsmConfig();
    }

    /** The {@code hsm}-shaped section that describes the root's token. */
    public Hsm rootHsm() {
        return separateRootToken() ? ceremony.rootToken() : hsm;
    }

    private HsmConfig hsmConfig(Hsm h, String where) {
        require(h.module(), where + ".module");
        require(h.token(), where + ".token");
        require(h.pin(), where + ".pin");
        PinSource pin = PinSource.parse(h.pin());
        if (pin.kind().equals("file")) {
            pin = new PinSource("file", resolve(pin.location()).toString());
        }
        boolean wrappable = false;
        if (h.keyBackup() != null && !h.keyBackup().equals("none")) {
            if (!h.keyBackup().equals("wrap")) {
                throw new ConfigException(where + ".keyBackup is '" + h.keyBackup() + "'; give 'wrap' (keys extractable"
                        + " only wrapped, for ca backup-key) or 'none' (the default: never extractable)");
            }
            wrappable = true;
        }
        return new HsmConfig(resolve(h.module()), h.token(), pin, h.parallelism() == null ? 2 : h.parallelism(), wrappable);
    }

    public CertificateProfile profile(String name) {
        CertificateProfile p = profiles.get(name);
        if (p == null) {
            throw new ConfigException("no certificate profile named '" + name + "'; configured profiles: "
                    + profiles.keySet());
        }
        return p;
    }

    public int crlNextUpdateHours() {
        return crl == null || crl.nextUpdateHours() == null ? 24 : crl.nextUpdateHours();
    }

    /** Number of CRL shards (0: no partitioned CRLs). */
    public int crlShards() {
        return crl == null || crl.shards() == null ? 0 : crl.shards();
    }

    /** The label of the audit checkpoint key, or null when the issuing key signs checkpoints (older configurations). */
    public String auditCheckpointKeyLabel() {
        return crl == null || crl.auditCheckpointKey() == null || crl.auditCheckpointKey().isBlank() ? null
                : dev.shomei.pkcs11.Pkcs11Uri.parse(crl.auditCheckpointKey()).requireObject();
    }

    /** The label of the status signing key, or null when none is configured (no status is signed). */
    public String statusSigningKeyLabel() {
        return status == null || status.signingKey() == null || status.signingKey().isBlank() ? null
                : dev.shomei.pkcs11.Pkcs11Uri.parse(status.signingKey()).requireObject();
    }

    /** The label of the result-bundle signing key, or null when the issuing key signs results (older configurations). */
    public String resultSigningKeyLabel() {
        return orders == null || orders.resultSigningKey() == null || orders.resultSigningKey().isBlank() ? null
                : dev.shomei.pkcs11.Pkcs11Uri.parse(orders.resultSigningKey()).requireObject();
    }

    public Repository repositoryOrEmpty() {
        return repository == null ? new Repository(null, null, null) : repository;
    }

    public String issuingKeyLabel() {
        require(issuingKey, "issuingKey");
        return dev.shomei.pkcs11.Pkcs11Uri.parse(issuingKey).requireObject();
    }

    static void require(String value, String name) {
        if (value == null || value.isBlank()) {
            throw new ConfigException("setting '" + name + "' is missing from the CA configuration");
        }
    }
}
