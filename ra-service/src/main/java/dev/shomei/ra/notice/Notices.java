package dev.shomei.ra.notice;

import dev.shomei.ra.ConfiguredFile;
import dev.shomei.ra.application.Application;
import dev.shomei.ra.application.ApplicationContent;
import dev.shomei.ra.books.BookEntry;
import dev.shomei.ra.books.Books;
import dev.shomei.ra.revocation.RevocationRequest;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Queues the out-of-band notice of an act on a holder's certificate (issuance, renewal, revocation) in the transaction
 * that records the act, so the act and its notice commit together: the e-mail itself is sent later by
 * {@link NoticeSender}, and a failing mail server can delay a notice but never lose it or the act. Each queued notice is
 * a NOTICE book entry; an applicant who gave no contact gets a NO_CONTACT notice row, so the gap is on record.
 *
 * <p>Zone: online (ra-service). Inserts {@code notice} rows and NOTICE book entries in the caller's transaction.
 */
@ApplicationScoped
public class Notices {

    /** RFC 5321 section 4.5.3.1.3: a path is at most 256 octets; one @, no spaces or angle brackets, a dot after @. */
    private static final Pattern EMAIL = Pattern.compile("^[^@\\s<>()\\[\\],;:\"]{1,64}@[A-Za-z0-9.-]{1,253}\\.[A-Za-z]{2,63}$");
    /** No 0/O, 1/I: the holder may type the code from a printed notice. */
    private static final char[] CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789".toCharArray();
    static final String CODE_PLACEHOLDER = "{dispute-code}";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final ZoneId JST = ZoneId.of("Asia/Tokyo");

    @Inject
    Books books;
    @Inject
    NoticeConfig config;

    /** A contact address the RA can send to; refused with the field named otherwise. */
    public static void checkEmail(String email, String field) {
        if (email == null || email.length() > 254 || !EMAIL.matcher(email).matches()) {
            throw ApplicationContent.malformed(field, "is not an e-mail address the RA can send notices to (e.g."
                    + " holder@example.jp); give the holder's own address, or leave contact out");
        }
    }

    /** The CA issued the certificate of this application (a first issuance, a renewal or a re-issuance). */
    @Transactional(Transactional.TxType.MANDATORY)
    public Notice issued(Application a, Instant at) {
        boolean renewal = a.route == Application.Route.SUBSCRIBER_CERTIFICATE;
        String what = renewal ? "Your certificate was renewed: a new certificate was issued in your name"
                + " / 証明書が更新されました"
                : a.reissuesApplicationId != null ? "A certificate was re-issued in your name after an RA officer upheld"
                + " your objection / 異議に基づき証明書が再発行されました"
                : "A certificate was issued in your name / あなたの名義で証明書が発行されました";
        return queue(renewal ? Notice.Kind.RENEWAL : Notice.Kind.ISSUANCE, "APPLICATION", a.id, a.id, a.contactEmail,
                a.certificateSerial, what, at);
    }

    /** The CA revoked the certificate this revocation request named. */
    @Transactional(Transactional.TxType.MANDATORY)
    public Notice revoked(RevocationRequest q, String serial, Instant at) {
        Application a = Application.findById(q.applicationId);
        String who = q.initiatedBy == RevocationRequest.InitiatedBy.OFFICER ? "by an RA officer"
                : "on a request signed in your name";
        return queue(Notice.Kind.REVOCATION, "REVOCATION_REQUEST", q.id, q.applicationId,
                a == null ? null : a.contactEmail, serial, "Your certificate was revoked " + who
                        + " (reason: " + q.reason + ") / 証明書が失効されました", at);
    }

    private Notice queue(Notice.Kind kind, String subjectKind, UUID subjectId, UUID applicationId, String contact,
                         String serial, String what, Instant at) {
        Notice n = new Notice();
        n.id = UUID.randomUUID();
        n.kind = kind;
        n.subjectKind = subjectKind;
        n.subjectId = subjectId;
        n.applicationId = applicationId;
        n.certificateSerial = serial;
        n.actAt = at;
        n.createdAt = at;
        n.disputeUntil = at.plus(config.disputeWindow());
        n.retainUntil = books.retainUntil(at);
        String code = code();
        n.disputeCodeSha256 = codeSha256(code);
        n.subjectLine = "[Shomei CA] " + what;
        n.body = body(n, what);
        if (contact == null) {
            n.channel = "NONE";
            n.status = Notice.Status.NO_CONTACT;
        } else {
            n.channel = "EMAIL";
            n.recipient = contact;
            n.disputeCode = code;
            n.status = Notice.Status.PENDING;
            n.nextAttemptAt = at;
        }
        n.persist();
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("noticeId", n.id);
        entry.put("kind", kind.name());
        entry.put("applicationId", applicationId);
        entry.put("actSubject", subjectKind.toLowerCase(Locale.ROOT).replace('_', '-') + ":" + subjectId);
        entry.put("certificateSerial", serial);
        entry.put("actAt", at.toString());
        entry.put("channel", n.channel);
        entry.put("state", n.status == Notice.Status.NO_CONTACT ? "NO_CONTACT" : "QUEUED");
        entry.put("disputeUntil", n.disputeUntil.toString());
        entry.put("bodySha256", ConfiguredFile.sha256Hex(n.body.getBytes(StandardCharsets.UTF_8)));
        books.append(BookEntry.Book.NOTICE, subjectKind, subjectId, entry, at);
        return n;
    }

    private String body(Notice n, String what) {
        String url = config.publicUrl().replaceAll("/+$", "") + "/notices/" + n.id + "/disputes";
        return String.join("\n",
                "This is a notice from the registration authority (RA) of Shomei CA about a certificate in your name.",
                "Shomei CA 登録局から、あなたの名義の電子証明書についてのお知らせです。",
                "",
                "What happened / 内容:   " + what,
                "When / 日時:            " + n.actAt + " (UTC), "
                        + DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm").format(n.actAt.atZone(JST)) + " JST",
                "Certificate serial / シリアル番号: " + (n.certificateSerial == null ? "(none)" : n.certificateSerial),
                "Application / 申請番号: " + n.applicationId,
                "Notice / 通知番号:      " + n.id,
                "",
                "If you asked for this, there is nothing to do.",
                "If you did NOT, object before " + n.disputeUntil + " (UTC). An RA officer reviews every objection:",
                "心当たりがない場合は、上記期限までに異議を申し立ててください。登録局の担当者が確認します。",
                "",
                "  dispute code / 異議申立てコード: " + CODE_PLACEHOLDER,
                "  curl -X POST -H 'Content-Type: application/json' \\",
                "       -d '{\"code\": \"" + CODE_PLACEHOLDER + "\", \"statement\": \"I did not ask for this\"}' \\",
                "       " + url,
                "  or contact " + config.office() + " with the notice number and the code.",
                "",
                "What an objection leads to is in the holders' guide (docs/holders.md in the CA's published documents).",
                "Do not forward this e-mail: the code lets its holder object in your name.");
    }

    static String code() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 16; i++) {
            if (i > 0 && i % 4 == 0) {
                b.append('-');
            }
            b.append(CODE_ALPHABET[RANDOM.nextInt(CODE_ALPHABET.length)]);
        }
        return b.toString();
    }

    /** The digest stored and compared: case and separators do not matter to the holder typing it. */
    static String codeSha256(String code) {
        String normal = code == null ? "" : code.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "");
        return ConfiguredFile.sha256Hex(normal.getBytes(StandardCharsets.US_ASCII));
    }
}
