package dev.shomei.ocsp.bundle;

import dev.shomei.ca.ceremony.CaHashValues;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * The CA hash values (認証局のハッシュ値) as a small HTML page for the repository, beside the text and JSON
 * forms that {@link CaHashValues} renders. Static and self-contained: no scripts, no external resources.
 *
 * <p>Zone: secure (rendered into the publication bundle). Pure function of the certificates.
 */
public final class CaHashValuesPage {

    private CaHashValuesPage() {}

    public static String html(List<X509Certificate> certs) {
        StringBuilder sb = new StringBuilder("""
                <!DOCTYPE html>
                <html lang="ja">
                <head>
                <meta charset="utf-8">
                <title>認証局のハッシュ値 / CA hash values</title>
                <style>body{font-family:sans-serif;max-width:60em;margin:2em auto}td,th{padding:.2em .6em;text-align:left;vertical-align:top}code{word-break:break-all}</style>
                </head>
                <body>
                <h1>認証局のハッシュ値 / CA hash values</h1>
                <p>Compare these fingerprints of the DER-encoded CA certificates with those published in the official
                gazette (官報) before trusting a certificate downloaded from this repository.</p>
                """);
        for (X509Certificate c : certs) {
            CaHashValues h = CaHashValues.of(c);
            sb.append("<h2>").append(escape(c.getSubjectX500Principal().getName())).append("</h2>\n<table>\n");
            row(sb, "Serial", c.getSerialNumber().toString(16));
            row(sb, "Valid from", c.getNotBefore().toInstant().toString());
            row(sb, "Valid to", c.getNotAfter().toInstant().toString());
            row(sb, "SHA-256", h.sha256());
            row(sb, "SHA-1", h.sha1());
            sb.append("</table>\n");
        }
        return sb.append("</body>\n</html>\n").toString();
    }

    private static void row(StringBuilder sb, String name, String value) {
        sb.append("<tr><th>").append(name).append("</th><td><code>").append(escape(value)).append("</code></td></tr>\n");
    }

    static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(ch);
            }
        }
        return sb.toString();
    }
}
