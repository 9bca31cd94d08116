package dev.shomei.ra;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.net.URI;
import java.time.Duration;
import java.time.Period;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The RA's typed configuration ({@code ra.*} in application.properties). The CP/CPS is generated from the same
 * properties files (docs/cp-cps.md); a default here must match the one the generator assumes ({@code RaSettings}).
 *
 * <p>Zone: online (ra-service). Read-only view of configuration; touches nothing.
 */
@ConfigMapping(prefix = "ra")
public interface RaConfig {

    Jpki jpki();

    Jlis jlis();

    Policy policy();

    Books books();

    Officer officer();

    Application application();

    Database database();

    Orders orders();

    Paging paging();

    /** The officers' and auditors' console (dev.shomei.ra.console, docs/consoles.md). */
    Console console();

    /** The RA's audit-log checkpoints (audit-log/README.md, docs/database.md). */
    Audit audit();

    /**
     * Consent documents an applicant may have been shown: document id to the SHA-256 (hex) of the
     * exact bytes shown. An application naming another id, or another digest, is refused. CP/CPS 4.1.2.
     */
    Map<String, String> consentDocuments();

    interface Jpki {
        /**
         * The J-LIS signing CA generations trusted to issue application signers. Every generation has the
         * same subject DN (JPKI.md), so each is pinned by the SHA-256 of its DER certificate, and the issuer
         * of a signer is chosen by verifying the signature, never by name. CP/CPS 3.2.3.
         */
        List<TrustAnchor> signingCas();

        /**
         * Certificate policy OIDs of JPKI signing certificates that are accepted:
         * 1.2.392.200149.8.5.1.1.20 in production, 1.2.392.200149.8.5.1.0.20 for J-LIS test cards. CP/CPS 3.2.3.
         */
        List<String> signingPolicies();
    }

    interface TrustAnchor {
        /** A PEM file: a filesystem path, or {@code classpath:} followed by a resource name. */
        String path();

        /** SHA-256 of the DER certificate, hex, colons allowed (as J-LIS and openssl print it). */
        String sha256();

        /** What the generation is, for operators and refusals, e.g. {@code 2019 (signca02, serial 0132C4AB)}. */
        Optional<String> name();

        /**
         * True if the operator installs the file (it cannot be shipped): until then the RA starts, health reports
         * the generation missing, and an application signed under it is answered with a problem saying why. A file
         * that is present must match the pin, or the RA refuses to start.
         */
        @WithDefault("false")
        boolean operatorSupplied();

        /**
         * The period (ISO dates) in which this generation issued signing certificates: a signer certificate whose
         * notBefore lies in it, with this generation's DN, is taken to be from this generation while its file is
         * missing.
         */
        Optional<String> issuedFrom();

        Optional<String> issuedUntil();
    }

    interface Jlis {
        /** The J-LIS OCSP responder; it is not in the certificate (no AIA), registration gives the URL (CP/CPS 3.2.3). */
        Optional<URI> ocspUrl();

        /** The J-LIS CRL (http(s) or file URL), the fallback when OCSP cannot be reached (CP/CPS 3.2.3). */
        Optional<URI> crlUrl();

        /** Connect and read timeout for each J-LIS request (CP/CPS 4.2.1). */
        @WithDefault("PT5S")
        Duration timeout();

        /** How often applications waiting for J-LIS are retried (CP/CPS 4.2.1). */
        @WithDefault("PT1M")
        Duration retryInterval();

        /**
         * An OCSP response without nextUpdate is "good" only while its thisUpdate is younger than this (RFC 6960
         * section 4.2.2.1 leaves freshness to local policy; J-LIS refreshes its OCSP answers about every 15 min).
         */
        @WithDefault("PT1H")
        Duration ocspMaxAge();

        /** Largest J-LIS CRL accepted, in bytes; a larger answer is refused before it is parsed. */
        @WithDefault("134217728")
        long crlMaxBytes();

        /**
         * Which J-LIS source answers first (CP/CPS 4.2.1): {@code OCSP} (the default; J-LIS refreshes OCSP about
         * every 15 minutes, the CRL daily) or {@code CRL} (the verified CRL cached until its nextUpdate, OCSP only
         * when no current CRL can be had). {@code CRL} costs one signature check a day instead of an outbound round
         * trip and a response signature per application, and accepts a revocation J-LIS recorded since the CRL's
         * thisUpdate (at most a day) as not yet known.
         */
        @WithDefault("OCSP")
        JlisSource prefer();
    }

    /** The J-LIS revocation source tried first. */
    enum JlisSource { OCSP, CRL }

    interface Policy {
        /** The approval policy file (JSON); its SHA-256 is recorded with every system decision (CP/CPS 4.2.1, 6.1.5). */
        @WithDefault("classpath:policy/approval-policy-v2.json")
        String path();
    }

    interface Books {
        /** How long every book entry is kept; the database refuses to delete it before then (CP/CPS 5.5.2). */
        @WithDefault("P10Y")
        Period retention();
    }

    interface Officer {
        /** PEM of the CA that issues RA officers' and auditors' client certificates (mutual TLS). */
        Optional<String> caPath();

        /**
         * The officer CA's CRL (DER or PEM file), re-read when it changes; it must be signed by the officer CA and
         * not past its nextUpdate. Every officer and auditor certificate is checked against it.
         */
        Optional<String> crlPath();

        /** Without a CRL, refuse every officer and auditor (true) or accept unchecked certificates (dev only). */
        @WithDefault("true")
        boolean requireCrl();

        /** Subject OU of an RA officer's certificate: decides applications and revocation requests. */
        @WithDefault("RA Officer")
        String officerOu();

        /** Subject OU of an auditor's certificate: exports the books; decides nothing. */
        @WithDefault("RA Auditor")
        String auditorOu();

        /** Subject OU of a platform operator's certificate: reads the status page (docs/monitoring.md); decides nothing. */
        @WithDefault("CA Operator")
        String operatorOu();

        /** Approving a referred application needs two different officers (CP/CPS: multi-person control). */
        @WithDefault("true")
        boolean fourEyes();
    }

    interface Paging {
        /** Entries per page when a list or export names no limit. */
        @WithDefault("100")
        int defaultLimit();

        /** Most entries per page a caller may ask for. */
        @WithDefault("1000")
        int maxLimit();
    }

    interface Console {
        /**
         * The report.json of the latest evidence report ({@code bin/evidence report}, made where the CA's database is
         * reachable), whose reconciliation the auditor view shows; unset, it says none is installed.
         */
        Optional<String> reconciliationReport();
    }

    interface Application {
        /** Largest signed application accepted, in bytes (a CMS with one RSA-2048 signer and a CSR is ~5 KiB; CP/CPS 4.1.2). */
        @WithDefault("65536")
        int maxBytes();

        /**
         * Refuse applications and revocation requests (they carry personal data) that did not arrive over HTTPS.
         * Off only in the dev and test profiles.
         */
        @WithDefault("true")
        boolean requireHttps();

        /** Oldest CMS signingTime accepted, measured from receipt: an old signed application is a replay. */
        @WithDefault("PT24H")
        Duration signingTimeMaxAge();

        /** How far a CMS signingTime may lie in the future of the RA's clock (the signer's clock is off). */
        @WithDefault("PT5M")
        Duration signingTimeMaxSkew();
    }

    interface Database {
        /** Start an embedded PostgreSQL when no quarkus.datasource.jdbc.url is configured. */
        @WithDefault("true")
        boolean embedded();

        @WithDefault("var/ra-db")
        String dataDirectory();

        @WithDefault("54329")
        int port();
    }

    interface Orders {
        /** The RA's order-signing key in its HSM; unset, the CA-facing endpoints answer 503. */
        Optional<Signing> signing();

        /**
         * PEM files of the CA's TLS client certificates allowed to pull orders and post results (mutual TLS);
         * compared by SHA-256 of the DER certificate.
         */
        Optional<List<String>> caClientCertificates();

        /** PEM files of the issuing CA certificates: result signers chain to them; also the applicant's chain. */
        Optional<List<String>> caCertificates();

        /**
         * PEM files of the CA's root certificate (from the key ceremony, checked against the published CA hash
         * values): set, a new issuing generation (ca renew-issuing) that this root certified and that arrives in a
         * result bundle the RA accepts is taken as an issuing CA beside {@link #caCertificates()}, recorded in
         * {@code ca_generation} and the audit log (docs/order-bundles.md, "A new issuing generation"). Unset, only
         * the configured issuing CA certificates are trusted.
         */
        Optional<List<String>> rootCertificates();

        /**
         * SHA-256 (hex) of issuing CA certificates no longer trusted, whether configured or taken from result
         * bundles: a generation the root revoked (ca revoke-ca), until it is out of every list.
         */
        Optional<List<String>> distrustedCaCertificates();

        /**
         * PEM files of the CA's result-bundle signer certificates (ca delegate --profile result-bundle-signer): set,
         * only these may sign result bundles and the issuing key is refused; unset, a result signer of a configured
         * CA carried in the bundle, or the issuing key of a CA not yet upgraded (docs/order-bundles.md).
         */
        Optional<List<String>> resultSignerCertificates();

        /** Most orders in one bundle. */
        @WithDefault("200")
        int maxOrdersPerBundle();
    }

    interface Audit {
        /** How often a checkpoint is signed (Quarkus scheduler syntax, e.g. 10m or 1h); only when entries were added. */
        @WithDefault("10m")
        String checkpointEvery();

        /**
         * The RA's own checkpoint key in its HSM (not the order-signing key): unset, no checkpoint is signed and
         * `audit verify` fails for a log with entries.
         */
        Optional<Signing> checkpointSigning();

        /**
         * Where the latest checkpoint ({@code checkpoint.txt}) and its consistency proof ({@code consistency.txt})
         * are written for publication next to the CRLs; unset, they are only stored in the database.
         */
        Optional<String> publishDirectory();
    }

    interface Signing {
        /** The PKCS#11 module (shared library) of the HSM. */
        String module();

        /** Label of the token holding the key; the token is looked up by it among the module's slots. */
        String token();

        /** File holding the user PIN (first line). */
        String pinFile();

        /** Alias (CKA_LABEL) of the private key and its certificate in the token. */
        String keyLabel();
    }
}
