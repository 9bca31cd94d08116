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
 * The RA's typed configuration ({@code ra.*} in application.properties).
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

    /** The RA's audit-log checkpoints (audit-log/README.md, docs/database.md). */
    Audit audit();

    /**
     * Consent documents an applicant may have been shown: document id to the SHA-256 (hex) of the
     * exact bytes shown. An application naming another id, or another digest, is refused.
     */
    Map<String, String> consentDocuments();

    interface Jpki {
        /**
         * The J-LIS signing CA generations trusted to issue application signers. Every generation has the
         * same subject DN (JPKI.md), so each is pinned by the SHA-256 of its DER certificate, and the issuer
         * of a signer is chosen by verifying the signature, never by name.
         */
        List<TrustAnchor> signingCas();

        /**
         * Certificate policy OIDs of JPKI signing certificates that are accepted:
         * 1.2.392.200149.8.5.1.1.20 in production, 1.2.392.200149.8.5.1.0.20 for J-LIS test cards.
         */
        List<String> signingPolicies();
    }

    interface TrustAnchor {
        /** A PEM file: a filesystem path, or {@code classpath:} followed by a resource name. */
        String path();

        /** SHA-256 of the DER certificate, hex, colons allowed (as J-LIS and openssl print it). */
        String sha256();
    }

    interface Jlis {
        /** The J-LIS OCSP responder; it is not in the certificate (no AIA), registration gives the URL. */
        Optional<URI> ocspUrl();

        /** The J-LIS CRL (http(s) or file URL), the fallback when OCSP cannot be reached. */
        Optional<URI> crlUrl();

        /** Connect and read timeout for each J-LIS request. */
        @WithDefault("PT5S")
        Duration timeout();

        /** How often applications waiting for J-LIS are retried. */
        @WithDefault("PT1M")
        Duration retryInterval();
    }

    interface Policy {
        /** The approval policy file (JSON); its SHA-256 is recorded with every system decision. */
        @WithDefault("classpath:policy/approval-policy-v1.json")
        String path();
    }

    interface Books {
        /** How long every book entry is kept; the database refuses to delete it before then. */
        @WithDefault("P10Y")
        Period retention();
    }

    interface Officer {
        /** PEM of the CA that issues RA officers' client certificates (mutual TLS). */
        Optional<String> caPath();
    }

    interface Application {
        /** Largest signed application accepted, in bytes (a CMS with one RSA-2048 signer and a CSR is ~5 KiB). */
        @WithDefault("65536")
        int maxBytes();
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

        /** PEM files of the issuing CA certificates whose keys sign result bundles; also the applicant's chain. */
        Optional<List<String>> caCertificates();

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
