package dev.shomei.ocsp.cps;

import dev.shomei.ca.config.ConfigException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Calendar;
import java.util.List;
import java.util.TimeZone;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDDocumentInformation;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.common.PDRectangle;
import org.apache.pdfbox.pdmodel.font.PDFont;
import org.apache.pdfbox.pdmodel.font.PDType0Font;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;

/**
 * Lays out the generated CP/CPS ({@link CpsMarkdown} blocks) as an A4 PDF with PDFBox: headings, wrapped
 * paragraphs, bullet lists and ruled tables, page numbers in the footer. The presigner then PAdES-signs it.
 *
 * <p>Zone: secure. Writes nothing but the returned bytes. The built-in font (Helvetica) covers Latin text
 * only; a CP/CPS with other characters (Japanese names) needs {@code cpsDocument.font}, a TrueType font that
 * has them, or generation stops naming the first character it cannot show.
 */
public final class CpsPdf {

    private static final float MARGIN = 56;
    private static final float BODY = 9.5f;
    private static final float TABLE = 7.5f;
    private static final float LEADING = 1.3f;
    private static final float CELL_PAD = 3;

    private final PDDocument doc;
    private final PDFont regular;
    private final PDFont bold;
    private final float width = PDRectangle.A4.getWidth() - 2 * MARGIN;
    private PDPageContentStream cs;
    private float y;

    private CpsPdf(PDDocument doc, PDFont regular, PDFont bold) {
        this.doc = doc;
        this.regular = regular;
        this.bold = bold;
    }

    public static byte[] render(String title, List<CpsMarkdown.Block> blocks, Path font, Calendar created) {
        try (PDDocument doc = new PDDocument()) {
            PDFont regular;
            PDFont bold;
            if (font == null) {
                regular = new PDType1Font(Standard14Fonts.FontName.HELVETICA);
                bold = new PDType1Font(Standard14Fonts.FontName.HELVETICA_BOLD);
            } else {
                try {
                    regular = PDType0Font.load(doc, font.toFile());
                } catch (IOException e) {
                    throw new ConfigException("cpsDocument.font: cannot load the TrueType font " + font + ": " + e.getMessage());
                }
                bold = regular;
            }
            CpsPdf pdf = new CpsPdf(doc, regular, bold);
            pdf.newPage();
            for (CpsMarkdown.Block b : blocks) {
                pdf.block(b);
            }
            pdf.cs.close();
            pdf.footers(title);
            PDDocumentInformation info = doc.getDocumentInformation();
            info.setTitle(title);
            info.setCreator("shomei presigner (CP/CPS generated from the configuration)");
            info.setCreationDate(created);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            doc.save(out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the CP/CPS PDF: " + e.getMessage(), e);
        }
    }

    private void block(CpsMarkdown.Block b) throws IOException {
        switch (b) {
            case CpsMarkdown.Heading h -> {
                float size = switch (h.level()) {
                    case 1 -> 16;
                    case 2 -> 13;
                    case 3 -> 11;
                    default -> 10;
                };
                List<String> lines = wrap(CpsMarkdown.plain(h.text()), bold, size, width);
                // Keep a heading with at least three lines of what follows it.
                ensure(size * 0.8f + lines.size() * size * LEADING + 3 * BODY * LEADING);
                y -= size * 0.8f;
                text(lines, bold, size, MARGIN);
                y -= size * 0.2f;
            }
            case CpsMarkdown.Paragraph p -> {
                text(wrap(CpsMarkdown.plain(p.text()), regular, BODY, width), regular, BODY, MARGIN);
                y -= BODY * 0.6f;
            }
            case CpsMarkdown.Bullets l -> {
                for (String item : l.items()) {
                    List<String> lines = wrap(CpsMarkdown.plain(item), regular, BODY, width - 12);
                    ensure(BODY * LEADING);
                    show(regular, BODY, MARGIN + 2, y - BODY, "\u2022");
                    text(lines, regular, BODY, MARGIN + 12);
                }
                y -= BODY * 0.6f;
            }
            case CpsMarkdown.Table t -> table(t);
        }
    }

    private void table(CpsMarkdown.Table t) throws IOException {
        int n = t.header().size();
        float[] desired = new float[n];
        float[] minimum = new float[n];
        List<List<String>> all = new ArrayList<>();
        all.add(t.header());
        all.addAll(t.rows());
        for (List<String> row : all) {
            for (int c = 0; c < n; c++) {
                String s = CpsMarkdown.plain(row.get(c));
                desired[c] = Math.max(desired[c], textWidth(row == t.header() ? bold : regular, TABLE, s) + 2 * CELL_PAD);
                for (String w : s.split(" ")) {
                    minimum[c] = Math.max(minimum[c], Math.min(textWidth(regular, TABLE, w), 60) + 2 * CELL_PAD);
                }
            }
        }
        float[] widths = fit(desired, minimum, width);
        y -= 2;
        // The header never stands alone at the foot of a page.
        float start = rowHeight(t.header(), widths, bold) + (t.rows().isEmpty() ? 0 : rowHeight(t.rows().get(0), widths, regular));
        if (y - start < MARGIN) {
            cs.close();
            newPage();
        }
        row(t.header(), widths, bold);
        for (List<String> r : t.rows()) {
            if (!fits(r, widths)) {
                cs.close();
                newPage();
                row(t.header(), widths, bold);
            }
            row(r, widths, regular);
        }
        y -= BODY * 0.8f;
    }

    /** Column widths: each column its desired width, the widest ones capped at one level so the table fits. */
    private static float[] fit(float[] desired, float[] minimum, float available) {
        float lo = 0;
        float hi = available;
        for (int k = 0; k < 40; k++) {
            float cap = (lo + hi) / 2;
            float sum = 0;
            for (int c = 0; c < desired.length; c++) {
                sum += Math.max(minimum[c], Math.min(desired[c], cap));
            }
            if (sum > available) {
                hi = cap;
            } else {
                lo = cap;
            }
        }
        float[] w = new float[desired.length];
        float sum = 0;
        for (int c = 0; c < desired.length; c++) {
            w[c] = Math.max(minimum[c], Math.min(desired[c], lo));
            sum += w[c];
        }
        if (sum > available) { // minimum widths alone are too wide: scale down, long words break by character
            for (int c = 0; c < w.length; c++) {
                w[c] = w[c] * available / sum;
            }
        }
        return w;
    }

    private boolean fits(List<String> r, float[] widths) throws IOException {
        return y - rowHeight(r, widths, regular) >= MARGIN;
    }

    private float rowHeight(List<String> r, float[] widths, PDFont font) throws IOException {
        int lines = 1;
        for (int c = 0; c < r.size(); c++) {
            lines = Math.max(lines, wrap(CpsMarkdown.plain(r.get(c)), font, TABLE, widths[c] - 2 * CELL_PAD).size());
        }
        return lines * TABLE * LEADING + 2 * CELL_PAD;
    }

    private void row(List<String> r, float[] widths, PDFont font) throws IOException {
        float h = rowHeight(r, widths, font);
        float x = MARGIN;
        cs.setLineWidth(0.4f);
        for (int c = 0; c < r.size(); c++) {
            cs.addRect(x, y - h, widths[c], h);
            cs.stroke();
            float ty = y - CELL_PAD - TABLE;
            for (String line : wrap(CpsMarkdown.plain(r.get(c)), font, TABLE, widths[c] - 2 * CELL_PAD)) {
                show(font, TABLE, x + CELL_PAD, ty, line);
                ty -= TABLE * LEADING;
            }
            x += widths[c];
        }
        y -= h;
    }

    private void text(List<String> lines, PDFont font, float size, float x) throws IOException {
        for (String line : lines) {
            ensure(size * LEADING);
            show(font, size, x, y - size, line);
            y -= size * LEADING;
        }
    }

    private void show(PDFont font, float size, float x, float baseline, String s) throws IOException {
        cs.beginText();
        cs.setFont(font, size);
        cs.newLineAtOffset(x, baseline);
        cs.showText(checked(font, s));
        cs.endText();
    }

    private void ensure(float height) throws IOException {
        if (y - height < MARGIN) {
            cs.close();
            newPage();
        }
    }

    private void newPage() throws IOException {
        PDPage page = new PDPage(PDRectangle.A4);
        doc.addPage(page);
        cs = new PDPageContentStream(doc, page);
        y = PDRectangle.A4.getHeight() - MARGIN;
    }

    private void footers(String title) throws IOException {
        int total = doc.getNumberOfPages();
        for (int i = 0; i < total; i++) {
            try (PDPageContentStream f = new PDPageContentStream(doc, doc.getPage(i), PDPageContentStream.AppendMode.APPEND,
                    true, true)) {
                this.cs = f;
                show(regular, 7, MARGIN, MARGIN / 2, title + "  -  page " + (i + 1) + " of " + total);
            }
        }
    }

    /** Greedy word wrap; a word wider than the line (a SHA-256 in a table cell) is broken by character. */
    private List<String> wrap(String text, PDFont font, float size, float max) throws IOException {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String word : text.split(" ")) {
            String candidate = line.isEmpty() ? word : line + " " + word;
            if (textWidth(font, size, candidate) <= max) {
                line.setLength(0);
                line.append(candidate);
                continue;
            }
            if (!line.isEmpty()) {
                lines.add(line.toString());
                line.setLength(0);
            }
            for (char ch : word.toCharArray()) {
                if (textWidth(font, size, line.toString() + ch) > max && !line.isEmpty()) {
                    lines.add(line.toString());
                    line.setLength(0);
                }
                line.append(ch);
            }
        }
        lines.add(line.toString());
        return lines;
    }

    private static float textWidth(PDFont font, float size, String s) throws IOException {
        return font.getStringWidth(checked(font, s)) / 1000 * size;
    }

    private static String checked(PDFont font, String s) throws IOException {
        try {
            font.encode(s);
            return s;
        } catch (IllegalArgumentException e) {
            for (int i = 0; i < s.length(); ) {
                int cp = s.codePointAt(i);
                try {
                    font.encode(new String(Character.toChars(cp)));
                } catch (IllegalArgumentException missing) {
                    throw new ConfigException("the CP/CPS contains '" + new String(Character.toChars(cp)) + "' (U+"
                            + String.format("%04X", cp) + ") in \"" + s + "\", which the PDF font " + font.getName()
                            + " cannot show; set cpsDocument.font to a TrueType font that has it (for Japanese, e.g."
                            + " IPAex Gothic)");
                }
                i += Character.charCount(cp);
            }
            throw e;
        }
    }
}
