package dev.shomei.ocsp.cli;

import dev.shomei.ocsp.config.PresignerConfig;
import dev.shomei.ocsp.cps.CpsGenerator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code presigner cps --out DIR}: writes the CP/CPS generated from the configuration (docs/cp-cps.md) as
 * Markdown, HTML and PDF, for review before it is signed into a bundle.
 *
 * <p>Zone: secure. Reads configuration files and writes the output directory; no HSM, no database.
 */
@Command(name = "cps", description = "Generate the CP/CPS from the configuration (docs/cp-cps.md): <name>.md, .html and"
        + " .pdf in --out. Nothing is signed; 'bundle' signs the PDF.")
final class CpsCommand implements Callable<Integer> {

    @ParentCommand PresignerCli parent;

    @Option(names = "--out", required = true, description = "directory for the generated files") Path out;

    @Override
    public Integer call() {
        PresignerConfig cfg = parent.loadConfig();
        CpsGenerator.Generated g = CpsGenerator.generate(cfg, parent.configFile(), Clock.systemUTC());
        String base = cfg.cpsDocumentOrFail().nameOrDefault().replaceFirst("\\.pdf$", "");
        Path pdf = g.writeTo(out, base);
        System.out.println("CP/CPS \"" + g.title() + "\" generated from the configuration: " + out.resolve(base + ".md")
                + ", " + out.resolve(base + ".html") + ", " + pdf);
        return 0;
    }

    /** The generated PDF in a new temporary directory, named as it will be published; null without cpsDocument. */
    static Path generateForBundle(PresignerConfig cfg, Path configFile) {
        if (cfg.cpsDocument() == null) {
            return null;
        }
        try {
            CpsGenerator.Generated g = CpsGenerator.generate(cfg, configFile, Clock.systemUTC());
            Path dir = Files.createTempDirectory("shomei-cps-");
            Path pdf = dir.resolve(cfg.cpsDocument().nameOrDefault());
            dev.shomei.ca.io.AtomicFiles.write(pdf, g.pdf());
            return pdf;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the generated CP/CPS to a temporary file: " + e.getMessage(), e);
        }
    }

    static void deleteGenerated(Path pdf) {
        if (pdf == null) {
            return;
        }
        try {
            Files.deleteIfExists(pdf);
            Files.deleteIfExists(pdf.getParent());
        } catch (IOException e) {
            // A leftover temporary copy of a public document: harmless, and the bundle is already written.
        }
    }
}
