package dev.shomei.ocsp.cps;

import dev.shomei.ca.config.CaConfig;
import dev.shomei.ca.config.ConfigException;
import dev.shomei.ocsp.config.PresignerConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Calendar;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TimeZone;

/**
 * Generates the CP/CPS from the configuration the services run with: the template (docs/cps/cp-cps.template.md,
 * RFC 3647 sections 1 to 9) filled from ca.yaml, presigner.yaml and the RA's application.properties and
 * approval policy, rendered as Markdown, HTML and the PDF that {@code presigner bundle} PAdES-signs (docs/cp-cps.md).
 *
 * <p>Zone: secure. Reads configuration files only; no HSM, no database. Step 1, load the three configurations;
 * Step 2, collect every stated value with its clause ({@link CpsFields}); Step 3, fill the template, refusing a
 * placeholder left open, a value left out or a value outside its clause ({@link CpsTemplate}); Step 4, render.
 */
public final class CpsGenerator {

    /** The built-in template: docs/cps/cp-cps.template.md, copied onto the classpath by the build. */
    public static final String TEMPLATE_RESOURCE = "cps/cp-cps.template.md";

    /** The three renderings of one generated CP/CPS. */
    public record Generated(String title, String markdown, String html, byte[] pdf) {
        /** Writes {@code <base>.md}, {@code <base>.html} and {@code <base>.pdf} into {@code dir}; returns the PDF's path. */
        public Path writeTo(Path dir, String base) {
            try {
                Files.createDirectories(dir);
                Files.writeString(dir.resolve(base + ".md"), markdown, StandardCharsets.UTF_8);
                Files.writeString(dir.resolve(base + ".html"), html, StandardCharsets.UTF_8);
                Path pdfFile = dir.resolve(base + ".pdf");
                dev.shomei.ca.io.AtomicFiles.write(pdfFile, pdf); // the signed PDF: whole or not at all
                return pdfFile;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write the CP/CPS to " + dir + ": " + e.getMessage(), e);
            }
        }
    }

    private CpsGenerator() {}

    /** Generates from {@code presignerFile} (already loaded as {@code cfg}) and the files its cpsDocument names. */
    public static Generated generate(PresignerConfig cfg, Path presignerFile, Clock clock) {
        PresignerConfig.CpsDocument d = cfg.cpsDocumentOrFail();
        // Step 1
        Path caFile = cfg.resolve(cfg.ca());
        CaConfig ca = cfg.caConfig();
        List<Path> raFiles = d.raProperties().stream().map(cfg::resolve).toList();
        RaSettings ra = RaSettings.load(raFiles,
                d.raClasspath() == null ? null : cfg.resolve(d.raClasspath()),
                d.raDirectory() == null ? cfg.baseDirectory() : cfg.resolve(d.raDirectory()));
        String template = d.template() == null ? builtInTemplate() : read(cfg.resolve(d.template()), "cpsDocument.template");

        List<CpsFields.Source> sources = new ArrayList<>();
        sources.add(source("CA (ca-core)", caFile, cfg.baseDirectory()));
        sources.add(source("presigner", presignerFile.toAbsolutePath(), cfg.baseDirectory()));
        for (Path f : raFiles) {
            sources.add(source("RA (ra-service)", f, cfg.baseDirectory()));
        }
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);

        // Step 2
        Map<String, CpsFields.Field> fields = CpsFields.of(ca, cfg, ra, sources, now.toString());
        // Step 3
        // The template's notes for editors are not part of the published document.
        String markdown = CpsTemplate.fill(template, fields).replaceAll("(?s)<!--.*?-->\\n?", "").stripLeading();
        // Step 4
        List<CpsMarkdown.Block> blocks = CpsMarkdown.parse(markdown);
        String title = blocks.stream().filter(b -> b instanceof CpsMarkdown.Heading h && h.level() == 1)
                .map(b -> CpsMarkdown.plain(((CpsMarkdown.Heading) b).text())).findFirst()
                .orElseThrow(() -> new ConfigException("the CP/CPS template has no title (a '# ' heading)"));
        Calendar created = Calendar.getInstance(TimeZone.getTimeZone("UTC"));
        created.setTimeInMillis(now.toEpochMilli());
        byte[] pdf = CpsPdf.render(title, blocks, d.font() == null ? null : cfg.resolve(d.font()), created);
        return new Generated(title, markdown, CpsHtml.render(title, blocks), pdf);
    }

    public static String builtInTemplate() {
        try (InputStream in = CpsGenerator.class.getClassLoader().getResourceAsStream(TEMPLATE_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(TEMPLATE_RESOURCE + " is missing from the presigner's classpath;"
                        + " rebuild ocsp-presigner (it copies docs/cps/ into the jar)");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(Path p, String setting) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException(setting + ": cannot read " + p + ": " + e.getMessage());
        }
    }

    private static CpsFields.Source source(String role, Path file, Path base) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ConfigException("cannot read " + file + " to state its digest in the CP/CPS: " + e.getMessage());
        }
        Path abs = file.toAbsolutePath().normalize();
        String shown = abs.startsWith(base) ? base.relativize(abs).toString() : abs.toString();
        return new CpsFields.Source(role, "`" + shown + "`", "`" + HexFormat.of().formatHex(RaSettings.sha256(bytes)) + "`");
    }
}
