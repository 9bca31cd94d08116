package dev.shomei.ocsp.cps;

import dev.shomei.ca.config.ConfigException;
import java.util.ArrayList;
import java.util.List;

/**
 * The small Markdown subset the CP/CPS is written in: headings ({@code #}..{@code ######}), paragraphs, bullet
 * lists ({@code - }, continuation lines indented), pipe tables, and inline {@code `code`} and {@code **strong**}.
 * Anything else (fenced code, links, numbered lists, HTML) is refused, so the HTML and the PDF render everything
 * the Markdown says. An HTML comment starting a line (to the line holding its end) is a note for editors and is
 * dropped.
 *
 * <p>Zone: secure. Pure text.
 */
public final class CpsMarkdown {

    public sealed interface Block permits Heading, Paragraph, Bullets, Table {}

    public record Heading(int level, String text) implements Block {}

    public record Paragraph(String text) implements Block {}

    public record Bullets(List<String> items) implements Block {}

    public record Table(List<String> header, List<List<String>> rows) implements Block {}

    private CpsMarkdown() {}

    public static List<Block> parse(String markdown) {
        List<Block> out = new ArrayList<>();
        String[] lines = markdown.split("\n", -1);
        int i = 0;
        while (i < lines.length) {
            String line = lines[i];
            String t = line.trim();
            if (t.isEmpty()) {
                i++;
            } else if (t.startsWith("<!--")) {
                while (i < lines.length && !lines[i].contains("-->")) {
                    i++;
                }
                if (i == lines.length) {
                    throw refused(i - 1, "an HTML comment is not closed with -->");
                }
                i++;
            } else if (t.startsWith("#")) {
                int level = 0;
                while (level < t.length() && t.charAt(level) == '#') {
                    level++;
                }
                if (level > 6 || level >= t.length() || t.charAt(level) != ' ') {
                    throw refused(i, "a heading is 1 to 6 '#' and a space");
                }
                out.add(new Heading(level, t.substring(level).trim()));
                i++;
            } else if (t.startsWith("- ")) {
                List<String> items = new ArrayList<>();
                while (i < lines.length && (lines[i].trim().startsWith("- ") || isContinuation(lines[i], items))) {
                    if (lines[i].trim().startsWith("- ") && !lines[i].startsWith("  ")) {
                        items.add(lines[i].trim().substring(2).trim());
                    } else {
                        int last = items.size() - 1;
                        items.set(last, items.get(last) + " " + lines[i].trim());
                    }
                    i++;
                }
                out.add(new Bullets(items));
            } else if (t.startsWith("|")) {
                if (i + 1 >= lines.length || !lines[i + 1].trim().matches("\\|(\\s*:?-+:?\\s*\\|)+")) {
                    throw refused(i, "a table's second line is its separator, e.g. |---|---|");
                }
                List<String> header = cells(t);
                List<List<String>> rows = new ArrayList<>();
                i += 2;
                while (i < lines.length && lines[i].trim().startsWith("|")) {
                    List<String> row = cells(lines[i].trim());
                    if (row.size() != header.size()) {
                        throw refused(i, "this table row has " + row.size() + " cells, the header " + header.size());
                    }
                    rows.add(row);
                    i++;
                }
                out.add(new Table(header, rows));
            } else if (t.startsWith("```") || t.matches("\\d+\\.\\s.*") || t.startsWith("<") || t.startsWith(">")) {
                throw refused(i, "only headings, paragraphs, '- ' lists and tables are rendered into the PDF");
            } else {
                StringBuilder p = new StringBuilder(t);
                i++;
                while (i < lines.length && !lines[i].isBlank() && !startsBlock(lines[i].trim())) {
                    p.append(' ').append(lines[i].trim());
                    i++;
                }
                out.add(new Paragraph(p.toString()));
            }
        }
        for (Block b : out) {
            for (String s : texts(b)) {
                if (s.matches(".*\\[[^]]*]\\([^)]*\\).*")) {
                    throw new ConfigException("CP/CPS Markdown: links are not rendered into the PDF; write the address"
                            + " as text: " + s);
                }
            }
        }
        return out;
    }

    /** Every text of a block (heading, paragraph, items, cells). */
    public static List<String> texts(Block b) {
        return switch (b) {
            case Heading h -> List.of(h.text());
            case Paragraph p -> List.of(p.text());
            case Bullets l -> l.items();
            case Table t -> {
                List<String> all = new ArrayList<>(t.header());
                t.rows().forEach(all::addAll);
                yield all;
            }
        };
    }

    /** Inline markup removed: the text as a reader of the PDF sees it. */
    public static String plain(String inline) {
        return inline.replace("**", "").replace("`", "").replace("\\|", "|");
    }

    private static boolean isContinuation(String line, List<String> items) {
        return !items.isEmpty() && line.startsWith("  ") && !line.isBlank();
    }

    private static boolean startsBlock(String t) {
        return t.startsWith("#") || t.startsWith("- ") || t.startsWith("|");
    }

    private static List<String> cells(String row) {
        String inner = row.substring(1, row.endsWith("|") && !row.endsWith("\\|") ? row.length() - 1 : row.length());
        List<String> out = new ArrayList<>();
        StringBuilder cell = new StringBuilder();
        for (int k = 0; k < inner.length(); k++) {
            char c = inner.charAt(k);
            if (c == '\\' && k + 1 < inner.length() && inner.charAt(k + 1) == '|') {
                cell.append("\\|");
                k++;
            } else if (c == '|') {
                out.add(cell.toString().trim());
                cell.setLength(0);
            } else {
                cell.append(c);
            }
        }
        out.add(cell.toString().trim());
        return out;
    }

    private static ConfigException refused(int line, String why) {
        return new ConfigException("CP/CPS Markdown, line " + (line + 1) + ": " + why);
    }
}
