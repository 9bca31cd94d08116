package dev.shomei.ocsp.config;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.shomei.ca.config.CaConfig;
import dev.shomei.ca.config.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The presigner's own settings ({@code presigner.yaml}, see ocsp-presigner/README.md). It points at the CA's
 * {@code ca.yaml}, which it reads but never extends: ca-core refuses unknown settings there.
 *
 * <p>Zone: secure. Holds no secrets; the HSM PIN and database password come from the CA configuration's sources.
 *
 * @param ca                   path of the CA configuration (relative to this file)
 * @param responderKey         label of the delegated OCSP responder key ({@code ca delegate --profile ocsp-responder})
 * @param publicationSignerKey label of the delegated key that signs bundles and CP/CPS PDFs
 *                             ({@code ca delegate --profile publication-signer})
 * @param validityHours        thisUpdate → nextUpdate of every response (CP/CPS 4.9.10; half of it: when a
 *                             response is re-signed, also CP/CPS 4.9.10)
 * @param chunkSize            responses signed and committed together (one transaction, one audit entry)
 * @param progressPercent      a progress line on stderr every this many percent of a run
 * @param cps                  further CP/CPS PDFs signed into every bundle (relative to this file)
 * @param cpsDocument          the CP/CPS generated from the configuration and signed into every bundle
 *                             (docs/cp-cps.md); unset, bundles carry only the {@code cps} PDFs
 * @param generationResponders after an issuing-key renewal: each older issuing generation still signing CRLs for
 *                             its certificates (its key label) to the responder key it certified; {@code responderKey}
 *                             answers for the generation in use ({@code issuingKey}). OCSP per generation: a responder
 *                             answers only for the CA that certified it (RFC 6960 §4.2.2.2)
 */
public record PresignerConfig(
        String ca,
        String responderKey,
        String publicationSignerKey,
        Integer validityHours,
        Integer chunkSize,
        Integer progressPercent,
        List<String> cps,
        CpsDocument cpsDocument,
        java.util.Map<String, String> generationResponders,
        Path baseDirectory) {

    /**
     * Where the generated CP/CPS comes from (docs/cp-cps.md). Paths are relative to presigner.yaml.
     *
     * @param name         file name in the bundle, {@code cps/<name>} (default {@code cp-cps.pdf})
     * @param template     the CP/CPS template (default: docs/cps/cp-cps.template.md, built into the presigner)
     * @param raProperties the RA's application.properties file(s), in the order ra-service reads them (later wins):
     *                     the same files it runs with, copied into the secure zone
     * @param raClasspath  the directory holding the RA's {@code classpath:} resources (its src/main/resources)
     * @param raDirectory  the RA's working directory, for relative paths in its properties (default: here)
     * @param font         a TrueType font for the PDF when the text is not Latin (e.g. Japanese names)
     */
    public record CpsDocument(String name, String template, List<String> raProperties, String raClasspath,
                              String raDirectory, String font) {
        public CpsDocument {
            raProperties = raProperties == null ? List.of() : List.copyOf(raProperties);
        }

        public String nameOrDefault() {
            return name == null || name.isBlank() ? "cp-cps.pdf" : name;
        }
    }

    /**
     * CA/Browser Forum Baseline Requirements §4.9.10: an OCSP response is valid for at least eight hours and
     * at most ten days; RFC 5019 §6 asks for a validity long enough for caches to help.
     */
    public static final int MIN_VALIDITY_HOURS = 8;
    public static final int MAX_VALIDITY_HOURS = 240;

    public static PresignerConfig load(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new ConfigException("presigner configuration " + file.toAbsolutePath() + " not found; give one"
                    + " with --config (format: ocsp-presigner/README.md)");
        }
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory())
                .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);
        PresignerConfig raw;
        try {
            raw = yaml.readValue(Files.readString(file), PresignerConfig.class);
        } catch (UnrecognizedPropertyException e) {
            String hint = e.getPropertyName().equals("hsm") || e.getPropertyName().equals("issuingKey")
                    ? " (this looks like the CA's ca.yaml: give presigner.yaml, whose 'ca' setting points at ca.yaml)" : "";
            throw new ConfigException(file + ": unknown setting '" + e.getPropertyName() + "'; known settings: "
                    + e.getKnownPropertyIds() + hint);
        } catch (IOException e) {
            throw new ConfigException("cannot read presigner configuration " + file + ": " + e.getMessage());
        }
        if (raw == null) {
            throw new ConfigException(file + " is empty; it needs at least 'ca' and 'responderKey'");
        }
        PresignerConfig c = new PresignerConfig(raw.ca, raw.responderKey, raw.publicationSignerKey, raw.validityHours,
                raw.chunkSize, raw.progressPercent, raw.cps == null ? List.of() : List.copyOf(raw.cps),
                raw.cpsDocument, raw.generationResponders == null ? java.util.Map.of()
                        : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(raw.generationResponders)),
                file.toAbsolutePath().getParent());
        c.check(file);
        return c;
    }

    private void check(Path file) {
        if (ca == null || ca.isBlank()) {
            throw new ConfigException(file + ": setting 'ca' is missing; give the path of the CA's ca.yaml");
        }
        if (responderKey == null || responderKey.isBlank()) {
            throw new ConfigException(file + ": setting 'responderKey' is missing; give the label of the responder key"
                    + " made with 'ca delegate --profile ocsp-responder'");
        }
        if (validityHours == null) {
            throw new ConfigException(file + ": setting 'validityHours' is missing; give the hours from thisUpdate to"
                    + " nextUpdate, between " + MIN_VALIDITY_HOURS + " and " + MAX_VALIDITY_HOURS);
        }
        if (validityHours < MIN_VALIDITY_HOURS || validityHours > MAX_VALIDITY_HOURS) {
            throw new ConfigException(file + ": validityHours " + validityHours + " is outside " + MIN_VALIDITY_HOURS
                    + ".." + MAX_VALIDITY_HOURS + " (an OCSP response must be valid for at least 8 hours and at most"
                    + " 10 days, CA/B Forum BR §4.9.10); set validityHours between " + MIN_VALIDITY_HOURS + " and "
                    + MAX_VALIDITY_HOURS);
        }
        if (chunkSize != null && (chunkSize < 1 || chunkSize > 10_000)) {
            throw new ConfigException(file + ": chunkSize " + chunkSize + " is outside 1..10000; leave it out for 1000");
        }
        if (progressPercent != null && (progressPercent < 1 || progressPercent > 100)) {
            throw new ConfigException(file + ": progressPercent " + progressPercent + " is outside 1..100");
        }
        if (cpsDocument != null) {
            String n = cpsDocument.nameOrDefault();
            if (!n.matches("[A-Za-z0-9._-]+\\.pdf")) {
                throw new ConfigException(file + ": cpsDocument.name '" + n + "' must be a plain file name ending in .pdf"
                        + " (it becomes cps/<name> in the repository)");
            }
            if (cpsDocument.raProperties().isEmpty()) {
                throw new ConfigException(file + ": cpsDocument.raProperties is missing; list the RA's"
                        + " application.properties file(s), the same ones ra-service runs with");
            }
        }
    }

    public CaConfig caConfig() {
        return CaConfig.load(resolve(ca));
    }

    public Path resolve(String path) {
        Path p = Path.of(path);
        return p.isAbsolute() ? p : baseDirectory.resolve(p).normalize();
    }

    public Duration validity() {
        return Duration.ofHours(validityHours);
    }

    public int chunkSizeOrDefault() {
        return chunkSize == null ? 1000 : chunkSize;
    }

    public int progressPercentOrDefault() {
        return progressPercent == null ? 5 : progressPercent;
    }

    public List<Path> cpsFiles() {
        return cps.stream().map(this::resolve).toList();
    }

    /** The generated CP/CPS's sources, or a configuration error naming the setting. */
    public CpsDocument cpsDocumentOrFail() {
        if (cpsDocument == null) {
            throw new ConfigException("setting 'cpsDocument' is missing from the presigner configuration; it names the"
                    + " RA configuration files the CP/CPS is generated from (docs/cp-cps.md)");
        }
        return cpsDocument;
    }

    /** The label of the publication signer key, or a configuration error naming the setting. */
    public String publicationSignerKeyOrFail() {
        if (publicationSignerKey == null || publicationSignerKey.isBlank()) {
            throw new ConfigException("setting 'publicationSignerKey' is missing from the presigner configuration;"
                    + " give the label of a key made with 'ca delegate --profile publication-signer'");
        }
        return publicationSignerKey;
    }
}
