package dev.shomei.ocsp.cps;

import java.util.List;

/**
 * Renders the generated CP/CPS Markdown ({@link CpsMarkdown}'s subset) as one self-contained HTML page.
 *
 * <p>Zone: secure. Pure text.
 */
public final class CpsHtml {

    private CpsHtml() {}

    public static String render(String title, List<CpsMarkdown.Block> blocks) {
        StringBuilder h = new StringBuilder("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>")
                .append(escape(title)).append("</title>\n<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;"
                        + "padding:0 1em;line-height:1.4}table{border-collapse:collapse;margin:.5em 0}"
                        + "td,th{border:1px solid #999;padding:.2em .5em;vertical-align:top;text-align:left}"
                        + "code{font-size:.9em;word-break:break-all}</style>\n</head>\n<body>\n");
        for (CpsMarkdown.Block b : blocks) {
            switch (b) {
                case CpsMarkdown.Heading x -> h.append("<h").append(x.level()).append('>').append(inline(x.text()))
                        .append("</h").append(x.level()).append(">\n");
                case CpsMarkdown.Paragraph p -> h.append("<p>").append(inline(p.text())).append("</p>\n");
                case CpsMarkdown.Bullets l -> {
                    h.append("<ul>\n");
                    l.items().forEach(i -> h.append("<li>").append(inline(i)).append("</li>\n"));
                    h.append("</ul>\n");
                }
                case CpsMarkdown.Table t -> {
                    h.append("<table>\n<tr>");
                    t.header().forEach(c -> h.append("<th>").append(inline(c)).append("</th>"));
                    h.append("</tr>\n");
                    for (List<String> row : t.rows()) {
                        h.append("<tr>");
                        row.forEach(c -> h.append("<td>").append(inline(c)).append("</td>"));
                        h.append("</tr>\n");
                    }
                    h.append("</table>\n");
                }
            }
        }
        return h.append("</body>\n</html>\n").toString();
    }

    /** `code` and **strong**, everything else escaped. */
    static String inline(String s) {
        String e = escape(s.replace("\\|", "|"));
        e = e.replaceAll("`([^`]*)`", "<code>$1</code>");
        return e.replaceAll("\\*\\*([^*]+)\\*\\*", "<strong>$1</strong>");
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
