package dev.shomei.ra.status;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shomei.audit.Actor;
import dev.shomei.ra.ConfiguredFile;
import dev.shomei.ra.books.AuditTrail;
import dev.shomei.ra.problem.RaProblem;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * Keeps the newest verified status document per secure-zone component, and records every refused one (a row, an
 * audit-log event and a log line), so that a forged or replayed report is seen by the operator, not only refused.
 *
 * <p>Zone: online (ra-service). Writes {@code secure_zone_report}, {@code secure_zone_report_refusal} and the
 * RA's audit log.
 */
@ApplicationScoped
public class SecureZoneReports {

    private static final Logger LOG = Logger.getLogger(SecureZoneReports.class);

    @Inject
    AuditTrail audit;
    @Inject
    ObjectMapper json;

    /**
     * Stores a verified document as the component's newest. Its signed time must be later than the stored one's:
     * an older document, even correctly signed, is a replay and could hide a lapse (409).
     */
    @Transactional
    public void accept(StatusDocumentVerifier.Verified v, byte[] cms, Instant now) {
        SecureZoneReport r = SecureZoneReport.findById(v.component(), LockModeType.PESSIMISTIC_WRITE);
        // PostgreSQL keeps microseconds: compare at that precision, or a replay would look a few ns newer.
        if (r != null && !v.producedAt().truncatedTo(ChronoUnit.MICROS).isAfter(r.producedAt)) {
            throw new RaProblem(409, "status-document-replayed", "Status document not newer",
                    "the " + v.component() + " status document of " + v.producedAt() + " is not newer than the one"
                            + " already received (" + r.producedAt + "); a replayed document is refused")
                    .with("field", "producedAt");
        }
        if (r == null) {
            r = new SecureZoneReport();
            r.component = v.component();
            fill(r, v, cms, now);
            r.persist();
        } else {
            fill(r, v, cms, now);
        }
    }

    private static void fill(SecureZoneReport r, StatusDocumentVerifier.Verified v, byte[] cms, Instant now) {
        r.documentId = v.documentId();
        r.producedAt = v.producedAt().truncatedTo(ChronoUnit.MICROS);
        r.receivedAt = now;
        r.signerSha256 = v.signerSha256();
        r.document = v.json();
        r.cms = cms;
    }

    /** Records a refusal in its own transaction (the refused request's is rolled back). */
    @Transactional(Transactional.TxType.REQUIRES_NEW)
    public void refused(RaProblem p, byte[] body, Actor ca, Instant now) {
        StatusRefusal f = new StatusRefusal();
        f.receivedAt = now;
        f.code = p.code();
        f.detail = p.detail();
        f.clientSha256 = ca == null ? null : certificateSha256(ca);
        f.bodySha256 = ConfiguredFile.sha256Hex(body);
        f.bodySize = body.length;
        f.persist();
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("status", p.status());
        detail.put("code", p.code());
        detail.put("detail", p.detail());
        detail.put("bodySha256", f.bodySha256);
        detail.put("bodySize", f.bodySize);
        try {
            audit.append(ca, "status.refused", "status-document:" + f.bodySha256, json.writeValueAsBytes(detail));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        LOG.warnf("status document refused: %d %s (body SHA-256 %s)", p.status(), p.code(), f.bodySha256);
    }

    private static String certificateSha256(Actor actor) {
        String a = actor.authentication() == null ? "" : actor.authentication();
        int i = a.indexOf("SHA-256 ");
        return i < 0 ? null : a.substring(i + "SHA-256 ".length()).split(" ")[0];
    }
}
