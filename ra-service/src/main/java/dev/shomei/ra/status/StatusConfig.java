package dev.shomei.ra.status;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The operator status page and the secure zone's status documents ({@code ra.status.*}, docs/monitoring.md). Every
 * threshold warns well before something lapses: the default margins leave an operator a working day to act.
 *
 * <p>Zone: online (ra-service). Read-only view of configuration; touches nothing.
 */
@ConfigMapping(prefix = "ra.status")
public interface StatusConfig {

    /**
     * PEM files of the certificates whose keys sign the secure zone's status documents: the CA's status signer
     * certificate ({@code ca delegate --profile status-signer --out}, extendedKeyUsage statusSigning). Only these
     * verify a document; one without the statusSigning purpose (an audit checkpoint certificate pinned here before
     * status documents had a key of their own) is warned about at start and refuses every document it verifies.
     * Unset, every document is refused with 503.
     */
    Optional<List<String>> signerCertificates();

    /** Warn when a CRL's nextUpdate is this close (CRLs last 24 h and are re-issued at half: CP/CPS 4.9.7). */
    @WithDefault("PT8H")
    Duration crlWarningBefore();

    /** Warn when the root's CRL (ARL) nextUpdate is this close (it lasts a year: CP/CPS 4.9.7). */
    @WithDefault("P30D")
    Duration rootCrlWarningBefore();

    /** Warn when the earliest OCSP nextUpdate is this close (responses last 8-240 h, re-signed at half: 4.9.10). */
    @WithDefault("PT24H")
    Duration ocspWarningBefore();

    /** Warn when the CA's last status document is older than this (it pushes one every pull pass, default 60 s). */
    @WithDefault("PT10M")
    Duration caReportMaxAge();

    /** Warn when the presigner's last status document is older than this (it runs hourly). */
    @WithDefault("PT2H")
    Duration presignerReportMaxAge();

    /** Warn when an approved order has waited this long for the CA (CP/CPS 4.9.5 bounds revocation delay). */
    @WithDefault("PT30M")
    Duration pendingOrderMaxAge();

    /** Warn when the CA's newest audit checkpoint is older than this (one is signed with every CRL). */
    @WithDefault("PT36H")
    Duration checkpointMaxAge();

    /** A status document older than this when it arrives is refused as a replay (signed time, RFC 5652 content). */
    @WithDefault("PT15M")
    Duration documentMaxAge();

    /** How far a status document's time may lie ahead of the RA's clock. */
    @WithDefault("PT5M")
    Duration documentMaxSkew();

    /** Refused documents within this window make the page warn. */
    @WithDefault("PT24H")
    Duration refusalWindow();
}
