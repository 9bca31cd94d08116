package dev.shomei.publisher.bundle;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.security.auth.x500.X500Principal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The CA hash values pages (認証局のハッシュ値: {@code ca-hash-values/*.txt|.json|.html}) say what the CA
 * certificates in the bundle are. Relying parties compare them with the official gazette before trusting a CA
 * certificate fetched from the repository, so a page listing another fingerprint would lead them to trust another
 * CA: the page is checked against the certificates, not only against its manifest digest.
 *
 * <p>The rule, the same for the three forms: every run of 20 or more bytes written in hex (with or without ':')
 * is a fingerprint, and in document order the fingerprints are exactly SHA-256 then SHA-1 of each CA certificate
 * of the bundle, each certificate once. The JSON form is also read as data (format, subject and serial of each
 * entry), and the HTML form may hold only the static markup the secure zone writes (no script, no link, no
 * external resource): it is served from the CA's own repository origin.
 *
 * <p>Online zone. Pure.
 */
final class CaHashValuesCheck {

    static final String JSON_FORMAT = "shomei-ca-hash-values/v1";

    /** 20+ bytes in hex: colon-separated pairs, or a plain run of 40+ hex digits. */
    private static final Pattern HEX_RUN = Pattern.compile(
            "(?<![0-9A-Za-z:])(?:[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){19,}|[0-9A-Fa-f]{40,})(?![0-9A-Za-z:])");
    private static final Pattern TAG = Pattern.compile("<(/?)([A-Za-z][A-Za-z0-9]*)([^<>]*)>");
    /** The elements the secure zone's page uses (CaHashValuesPage); anything else is refused. */
    private static final Set<String> HTML_ELEMENTS = Set.of("html", "head", "meta", "title", "style", "body", "h1", "h2", "p",
            "table", "tr", "th", "td", "code", "br");
    private static final Pattern ALLOWED_ATTRIBUTES = Pattern.compile("\\s*(?:lang=\"[A-Za-z-]{2,8}\"|charset=\"utf-8\")?\\s*/?",
            Pattern.CASE_INSENSITIVE);
    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private CaHashValuesCheck() {
    }

    /** Every problem with this page, each a sentence naming the value. */
    static List<String> problems(String path, byte[] content, List<X509Certificate> caCertificates) {
        List<String> problems = new ArrayList<>();
        if (caCertificates.isEmpty()) {
            problems.add("the bundle carries no CA certificate (certs/*.cer) to check these hash values against; bundle them together");
            return problems;
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(content)).toString();
        } catch (CharacterCodingException e) {
            problems.add("is not UTF-8 text");
            return problems;
        }
        // In HTML a digit may be written as a character reference; read the page as a browser shows it.
        checkFingerprints(path.endsWith(".html") ? decodeCharacterReferences(text) : text, caCertificates, problems);
        if (path.endsWith(".json")) {
            checkJson(content, caCertificates, problems);
        } else if (path.endsWith(".html")) {
            checkHtml(text, problems);
        }
        return problems;
    }

    private record Expected(X509Certificate certificate, String sha256, String sha1) {
        String name() {
            return "'" + certificate.getSubjectX500Principal().getName() + "'";
        }
    }

    private static Map<String, Expected> expected(List<X509Certificate> certs) {
        Map<String, Expected> bySha256 = new LinkedHashMap<>();
        for (X509Certificate c : certs) {
            byte[] der;
            try {
                der = c.getEncoded();
            } catch (java.security.cert.CertificateEncodingException e) {
                throw new IllegalArgumentException(e);
            }
            Expected e = new Expected(c, hex(CaCertificates.digest("SHA-256", der)), hex(CaCertificates.digest("SHA-1", der)));
            bySha256.put(e.sha256(), e);
        }
        return bySha256;
    }

    private static void checkFingerprints(String text, List<X509Certificate> certs, List<String> problems) {
        Map<String, Expected> bySha256 = expected(certs);
        // RFC 5280 §4.1.2.2 allows 20-octet serials: a CA certificate's own serial is not a fingerprint.
        Set<String> serials = new java.util.HashSet<>();
        certs.forEach(c -> serials.add(c.getSerialNumber().toString(16).toUpperCase(Locale.ROOT)));
        List<String> found = new ArrayList<>();
        Matcher m = HEX_RUN.matcher(text);
        while (m.find()) {
            String value = m.group().replace(":", "").toUpperCase(Locale.ROOT);
            if (!serials.contains(value)) {
                found.add(value);
            }
        }
        Set<String> seen = new java.util.HashSet<>();
        int i = 0;
        while (i < found.size()) {
            String value = found.get(i);
            Expected e = bySha256.get(value);
            if (e == null) {
                problems.add("lists the fingerprint " + colons(value) + ", which is not the SHA-256 of any CA certificate in the bundle"
                        + " (" + describe(bySha256) + "); the page must be rendered from the bundled certificates");
                return;
            }
            if (!seen.add(value)) {
                problems.add("lists the CA certificate " + e.name() + " twice");
                return;
            }
            String next = i + 1 < found.size() ? found.get(i + 1) : null;
            if (!e.sha1().equals(next)) {
                problems.add("gives " + (next == null ? "no SHA-1" : "the SHA-1 " + colons(next)) + " after the SHA-256 of " + e.name()
                        + "; its SHA-1 is " + colons(e.sha1()));
                return;
            }
            i += 2;
        }
        for (Expected e : bySha256.values()) {
            if (!seen.contains(e.sha256())) {
                problems.add("does not list the CA certificate " + e.name() + " (SHA-256 " + colons(e.sha256()) + ") that the bundle carries");
            }
        }
    }

    private static void checkJson(byte[] content, List<X509Certificate> certs, List<String> problems) {
        JsonNode root;
        try {
            root = JSON.readTree(content);
        } catch (IOException e) {
            problems.add("is not JSON: " + e.getMessage());
            return;
        }
        if (root == null || !JSON_FORMAT.equals(root.path("format").asText(null))) {
            problems.add("format is not '" + JSON_FORMAT + "'");
            return;
        }
        Map<String, Expected> bySha256 = expected(certs);
        JsonNode list = root.path("certificates");
        if (!list.isArray()) {
            problems.add("has no certificates array");
            return;
        }
        for (JsonNode entry : list) {
            Expected e = bySha256.get(entry.path("sha256").asText("").replace(":", "").toUpperCase(Locale.ROOT));
            if (e == null) {
                continue;   // reported by the fingerprint rule
            }
            Optional<String> subject = Optional.ofNullable(entry.path("subject").asText(null));
            boolean sameSubject;
            try {
                sameSubject = subject.isPresent() && new X500Principal(subject.get()).equals(e.certificate().getSubjectX500Principal());
            } catch (IllegalArgumentException ex) {
                sameSubject = false;
            }
            if (!sameSubject) {
                problems.add("names the certificate with SHA-256 " + colons(e.sha256()) + " '" + subject.orElse("") + "'; it is " + e.name());
            }
            if (!e.certificate().getSerialNumber().toString(16).equals(entry.path("serial").asText(""))) {
                problems.add("gives serial '" + entry.path("serial").asText("") + "' for " + e.name() + "; it is "
                        + e.certificate().getSerialNumber().toString(16));
            }
        }
    }

    private static void checkHtml(String html, List<String> problems) {
        String lower = html.toLowerCase(Locale.ROOT);
        if (lower.contains("<!--") || lower.contains("javascript:") || lower.contains("url(") || lower.contains("@import")) {
            problems.add("holds a comment, a javascript: URL or a CSS url()/@import; the page must be static and self-contained");
        }
        Matcher m = TAG.matcher(html);
        while (m.find()) {
            String name = m.group(2).toLowerCase(Locale.ROOT);
            if (!HTML_ELEMENTS.contains(name)) {
                problems.add("holds a <" + name + "> element; the page may hold only " + new java.util.TreeSet<>(HTML_ELEMENTS));
                return;
            }
            if (!ALLOWED_ATTRIBUTES.matcher(m.group(3)).matches()) {
                problems.add("has the attributes '" + m.group(3).trim() + "' on <" + name + ">; only lang and charset=\"utf-8\" are allowed");
                return;
            }
        }
    }

    private static final Pattern CHARACTER_REFERENCE = Pattern.compile("&#(?:[xX]([0-9A-Fa-f]{1,6})|([0-9]{1,7}));");

    static String decodeCharacterReferences(String html) {
        Matcher m = CHARACTER_REFERENCE.matcher(html);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            int cp = m.group(1) != null ? Integer.parseInt(m.group(1), 16) : Integer.parseInt(m.group(2));
            m.appendReplacement(sb, Matcher.quoteReplacement(Character.isValidCodePoint(cp) ? Character.toString(cp) : "\uFFFD"));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    private static String describe(Map<String, Expected> bySha256) {
        List<String> parts = new ArrayList<>();
        bySha256.values().forEach(e -> parts.add(e.name() + " " + colons(e.sha256())));
        return String.join(", ", parts);
    }

    private static String hex(byte[] b) {
        return HexFormat.of().withUpperCase().formatHex(b);
    }

    private static String colons(String hex) {
        return HexFormat.ofDelimiter(":").withUpperCase().formatHex(HexFormat.of().parseHex(hex.length() % 2 == 0 ? hex : "0" + hex));
    }
}
