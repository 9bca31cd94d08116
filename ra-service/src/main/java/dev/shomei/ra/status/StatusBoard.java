package dev.shomei.ra.status;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shomei.ra.orders.CaOrder;
import io.quarkus.hibernate.orm.panache.Panache;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The operator's view of the whole platform at one moment (docs/monitoring.md): per CA generation the current CRL
 * and its nextUpdate, OCSP freshness, the last order pull, pending orders, audit checkpoints, HSM health and the
 * age of each secure-zone report, each judged OK, WARNING or CRITICAL against {@code ra.status.*}. The secure zone's
 * part comes from the newest verified status documents; the RA's part from its own database.
 *
 * <p>Zone: online (ra-service). Reads {@code secure_zone_report}, {@code secure_zone_report_refusal},
 * {@code ca_order} and the RA's {@code audit_checkpoint}; writes nothing.
 */
@ApplicationScoped
public class StatusBoard {

    /** Ordered by severity; UNKNOWN (nothing reported yet) weighs as a warning. */
    public enum Level {
        OK(0), WARNING(1), UNKNOWN(1), CRITICAL(2);

        public final int severity;

        Level(int severity) {
            this.severity = severity;
        }

        static Level worst(Level a, Level b) {
            return b.severity > a.severity || (b.severity == a.severity && b == WARNING) ? b : a;
        }
    }

    /**
     * One line of the page. {@code at} is the instant the line is about (a nextUpdate, a report time), for metrics.
     */
    public record Item(String id, String group, String name, String value, Level level, String detail, Instant at,
                       Double number) {}

    public record Board(Instant at, Level overall, List<Item> items) {
        /** The board's time to the second, for the page. */
        public String asOf() {
            return at.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
        }

        public List<Item> group(String g) {
            return items.stream().filter(i -> i.group().equals(g)).toList();
        }
    }

    public static final List<String> GROUPS = List.of("CRLs", "OCSP", "Orders", "Audit", "HSM", "Reports");

    @Inject
    StatusConfig config;
    @Inject
    ObjectMapper json;

    @Transactional
    public Board current(Instant now) {
        List<Item> items = new ArrayList<>();
        JsonNode ca = report("ca", now, config.caReportMaxAge(), items);
        JsonNode ocsp = report("ocsp-presigner", now, config.presignerReportMaxAge(), items);
        crls(ca, now, items);
        ocsp(ocsp, now, items);
        orders(ca, now, items);
        audit(ca, now, items);
        hsm(ca, items);
        refusals(now, items);
        Level overall = Level.OK;
        for (Item i : items) {
            overall = Level.worst(overall, i.level());
        }
        items.sort(Comparator.comparingInt((Item i) -> GROUPS.indexOf(i.group())));
        return new Board(now, overall, List.copyOf(items));
    }

    private JsonNode report(String component, Instant now, Duration maxAge, List<Item> items) {
        SecureZoneReport r = SecureZoneReport.findById(component);
        String id = "report-" + component;
        String name = "Status document: " + component;
        if (r == null) {
            items.add(new Item(id, "Reports", name, "none received", Level.UNKNOWN, "no verified status document"
                    + " from " + component + " yet; its state is unknown (docs/monitoring.md)", null, null));
            return null;
        }
        Duration age = Duration.between(r.producedAt, now);
        Level level = age.compareTo(maxAge) > 0 ? Level.WARNING : Level.OK;
        items.add(new Item(id, "Reports", name, "signed " + r.producedAt + " (" + ago(age) + ")", level,
                level == Level.OK ? "verified with the pinned status signer" : component + " has not reported for "
                        + ago(age) + " (more than " + maxAge + "): check that it runs and reaches the RA",
                r.producedAt, null));
        try {
            return json.readTree(r.document);
        } catch (IOException e) {
            throw new IllegalStateException("stored status document of " + component + " is not JSON", e);
        }
    }

    private void crls(JsonNode ca, Instant now, List<Item> items) {
        if (ca == null) {
            return;
        }
        for (JsonNode g : ca.path("generations")) {
            String label = g.path("label").asText();
            String name = "CRL of " + label + (g.path("current").asBoolean() ? " (current generation)" : "");
            JsonNode crl = g.path("crl");
            if (crl.isMissingNode()) {
                items.add(new Item("crl-" + label, "CRLs", name, "no CRL yet", Level.WARNING,
                        "generation " + label + " has issued no CRL; run ca crl", null, null));
                continue;
            }
            items.add(lapsing("crl-" + label, "CRLs", name, "number " + crl.path("number").asLong(),
                    Instant.parse(crl.path("nextUpdate").asText()), now, config.crlWarningBefore(),
                    "ra.status.crl-warning-before", (double) crl.path("number").asLong()));
        }
        JsonNode root = ca.path("rootCrl");
        if (!root.isMissingNode()) {
            items.add(lapsing("crl-root", "CRLs", "Root CRL (ARL) of " + root.path("label").asText(),
                    "number " + root.path("number").asLong(), Instant.parse(root.path("nextUpdate").asText()), now,
                    config.rootCrlWarningBefore(), "ra.status.root-crl-warning-before",
                    (double) root.path("number").asLong()));
        }
    }

    private static Item lapsing(String id, String group, String name, String what, Instant nextUpdate, Instant now,
                                Duration warnBefore, String setting, Double number) {
        Duration left = Duration.between(now, nextUpdate);
        Level level = !left.isPositive() ? Level.CRITICAL
                : left.compareTo(warnBefore) < 0 ? Level.WARNING : Level.OK;
        String detail = switch (level) {
            case CRITICAL -> "nextUpdate " + nextUpdate + " has passed: relying parties treat it as stale (RFC 5280"
                    + " section 5.1.2.5); issue and publish a new one now";
            case WARNING -> "nextUpdate is " + in(left) + " away, closer than " + setting + " (" + warnBefore
                    + "): issue and publish a new one before it lapses";
            default -> "nextUpdate " + in(left) + " away";
        };
        return new Item(id, group, name, what + ", nextUpdate " + nextUpdate, level, detail, nextUpdate, number);
    }

    private void ocsp(JsonNode doc, Instant now, List<Item> items) {
        if (doc == null) {
            return;
        }
        for (JsonNode i : doc.path("issuers")) {
            String label = i.path("issuer").asText();
            long responses = i.path("responses").asLong();
            long pastHalf = i.path("pastHalfValidity").asLong();
            long lapsed = i.path("lapsed").asLong();
            long missing = i.path("missing").asLong();
            String id = "ocsp-" + label;
            String name = "OCSP responses of " + label;
            if (responses == 0) {
                items.add(new Item(id, "OCSP", name, "none", missing > 0 ? Level.WARNING : Level.OK,
                        missing + " unexpired certificate(s) without a response", null, 0.0));
                continue;
            }
            Instant oldest = Instant.parse(i.path("oldestThisUpdate").asText());
            Instant earliest = Instant.parse(i.path("earliestNextUpdate").asText());
            Item byTime = lapsing(id, "OCSP", name, responses + " response(s), oldest thisUpdate " + oldest
                    + ", " + pastHalf + " past half validity", earliest, now, config.ocspWarningBefore(),
                    "ra.status.ocsp-warning-before", (double) pastHalf);
            Level level = byTime.level();
            String detail = byTime.detail();
            if (lapsed > 0) {
                level = Level.CRITICAL;
                detail = lapsed + " response(s) past nextUpdate: the edge answers tryLater for them; run presigner"
                        + " presign and publish a bundle now";
            } else if (level == Level.OK && (pastHalf > 0 || missing > 0)) {
                level = Level.WARNING;
                detail = pastHalf + " response(s) past half their validity and " + missing + " certificate(s) without"
                        + " a response: presign is behind (CP/CPS 4.9.10: re-signed at half validity)";
            }
            items.add(new Item(id, "OCSP", name, byTime.value(), level, detail, earliest, (double) pastHalf));
        }
    }

    private void orders(JsonNode ca, Instant now, List<Item> items) {
        if (ca != null) {
            JsonNode o = ca.path("orders");
            JsonNode pull = o.path("lastPull");
            if (!pull.isMissingNode()) {
                Instant at = Instant.parse(pull.path("at").asText());
                String problem = pull.path("problem").isNull() ? null : pull.path("problem").asText(null);
                Duration age = Duration.between(at, now);
                Level level = problem != null || age.compareTo(config.caReportMaxAge()) > 0 ? Level.WARNING : Level.OK;
                items.add(new Item("order-pull", "Orders", "Last order pull", at + " (" + ago(age) + "): executed "
                        + pull.path("executed").asInt() + ", delivered " + pull.path("delivered").asInt(), level,
                        problem != null ? problem : level == Level.OK ? "the CA pulls" : "no pull for " + ago(age),
                        at, null));
            } else {
                items.add(new Item("order-pull", "Orders", "Last order pull", "not reported", Level.UNKNOWN,
                        "the CA's last status came from ca status, not from the pull loop; last bundle completed "
                                + o.path("lastBundleCompletedAt").asText("never"), null, null));
            }
            long refused = o.path("resultsRefusedByRa").asLong();
            long waiting = o.path("resultsWaiting").asLong();
            items.add(new Item("results-undelivered", "Orders", "CA results not delivered", waiting + " waiting, "
                    + refused + " refused by the RA", refused > 0 ? Level.WARNING : Level.OK, refused > 0
                    ? "see ca orders undelivered on the CA host" : "every result reached the RA or will next pass",
                    null, (double) (waiting + refused)));
        }
        List<CaOrder> open = CaOrder.<CaOrder>find("state in ?1 order by createdAt",
                List.of(CaOrder.State.PENDING, CaOrder.State.SENT)).list();
        if (open.isEmpty()) {
            items.add(new Item("orders-pending", "Orders", "Orders waiting for the CA", "0", Level.OK,
                    "no approved decision waits for the CA", null, 0.0));
        } else {
            Instant oldest = open.get(0).createdAt;
            Duration age = Duration.between(oldest, now);
            Level level = age.compareTo(config.pendingOrderMaxAge()) > 0 ? Level.WARNING : Level.OK;
            items.add(new Item("orders-pending", "Orders", "Orders waiting for the CA", open.size() + ", oldest "
                    + oldest + " (" + ago(age) + ")", level, level == Level.OK ? "within ra.status.pending-order-max-age"
                    : "an approved order has waited " + ago(age) + ", longer than ra.status.pending-order-max-age ("
                    + config.pendingOrderMaxAge() + "): is the CA pulling?", oldest, (double) open.size()));
        }
    }

    private void audit(JsonNode ca, Instant now, List<Item> items) {
        if (ca != null) {
            for (JsonNode l : ca.path("audit").path("logs")) {
                String origin = l.path("origin").asText();
                Instant latest = l.path("latestSignedAt").isNull() ? null
                        : Instant.parse(l.path("latestSignedAt").asText());
                Duration age = latest == null ? null : Duration.between(latest, now);
                Level level = age == null || age.compareTo(config.checkpointMaxAge()) > 0 ? Level.WARNING : Level.OK;
                items.add(new Item("checkpoints-" + origin, "Audit", "Audit checkpoints of " + origin,
                        l.path("checkpoints").asLong() + " signed, newest " + latest + " (tree size "
                                + l.path("latestTreeSize").asLong() + ")", level, level == Level.OK
                        ? "published with every CRL" : "no checkpoint for longer than ra.status.checkpoint-max-age ("
                        + config.checkpointMaxAge() + "): issue a CRL (it signs one) and publish", latest,
                        l.path("checkpoints").asDouble()));
            }
        }
        Object[] ra = (Object[]) Panache.getEntityManager().createNativeQuery(
                "select count(*), max(signed_at) from audit_checkpoint").getSingleResult();
        long count = ((Number) ra[0]).longValue();
        Instant latest = ra[1] == null ? null : toInstant(ra[1]);
        items.add(new Item("checkpoints-ra", "Audit", "Audit checkpoints of the RA", count + " signed"
                + (latest == null ? "" : ", newest " + latest), Level.OK,
                "signed every ra.audit.checkpoint-every when entries were added", latest, (double) count));
    }

    private static Instant toInstant(Object o) {
        if (o instanceof Instant i) {
            return i;
        }
        if (o instanceof java.time.OffsetDateTime t) {
            return t.toInstant();
        }
        if (o instanceof java.sql.Timestamp t) {
            return t.toInstant();
        }
        return Instant.parse(o.toString());
    }

    private void hsm(JsonNode ca, List<Item> items) {
        if (ca == null) {
            return;
        }
        JsonNode h = ca.path("hsm");
        boolean ok = h.path("ok").asBoolean(false);
        items.add(new Item("hsm-ca", "HSM", "CA HSM token " + h.path("token").asText(), ok ? "healthy" : "FAILED",
                ok ? Level.OK : Level.CRITICAL, h.path("detail").asText("") + " (checked " + h.path("checkedAt")
                .asText() + ")", null, ok ? 1.0 : 0.0));
    }

    private void refusals(Instant now, List<Item> items) {
        Instant since = now.minus(config.refusalWindow());
        long n = StatusRefusal.count("receivedAt >= ?1", since);
        StatusRefusal last = n == 0 ? null
                : StatusRefusal.<StatusRefusal>find("order by receivedAt desc").firstResult();
        items.add(new Item("refused-documents", "Reports", "Status documents refused", n + " in the last "
                + config.refusalWindow(), n > 0 ? Level.WARNING : Level.OK, last == null ? "none refused"
                : "last at " + last.receivedAt + ": " + last.code + " (" + last.detail + ")", null, (double) n));
    }

    static String ago(Duration d) {
        return human(d) + " ago";
    }

    static String in(Duration d) {
        return "in " + human(d);
    }

    static String human(Duration d) {
        Duration a = d.abs();
        if (a.toDays() >= 2) {
            return a.toDays() + " d " + a.toHoursPart() + " h";
        }
        if (a.toHours() >= 1) {
            return a.toHours() + " h " + a.toMinutesPart() + " min";
        }
        if (a.toMinutes() >= 1) {
            return a.toMinutes() + " min";
        }
        return a.toSeconds() + " s";
    }
}
