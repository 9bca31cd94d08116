package dev.shomei.ocsp.cps;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shomei.ca.config.ConfigException;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Period;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The RA's settings that the CP/CPS states, read from the same files ra-service runs with: its
 * application.properties files (later files win, {@code %prod.} overrides apply, other profiles are ignored),
 * the approval policy file {@code ra.policy.path} names, and the pinned J-LIS signing CA certificates.
 *
 * <p>Zone: secure (the presigner reads copies of the RA's configuration files; it never talks to the RA).
 * Defaults are those of ra-service's {@code RaConfig} {@code @WithDefault} values and must follow them.
 */
public final class RaSettings {

    /** One pinned J-LIS signing CA generation (CP/CPS 3.2.3). */
    /**
     * A pinned J-LIS signing CA generation. {@code certificate} is null for a generation the operator supplies
     * ({@code operator-supplied=true}) whose file is not installed where the CP/CPS is generated: the pin still
     * names it, and the RA reports it as not installed until the file is there.
     */
    public record JlisGeneration(String sha256, String path, X509Certificate certificate, String name) {}

    /** The approval policy (CP/CPS 4.2.1), with the SHA-256 of the file's exact bytes as the RA records it. */
    public record Policy(String id, String version, String sha256, Map<String, String> outcomes,
                         Integer rsaMinimumBits, List<String> ecCurves, String referAfterJlisUnavailable) {}

    /** RaConfig's {@code @WithDefault} values for the settings the CP/CPS states. */
    static final String DEFAULT_POLICY_PATH = "classpath:policy/approval-policy-v2.json";
    static final String DEFAULT_RETENTION = "P10Y";
    static final String DEFAULT_JLIS_TIMEOUT = "PT5S";
    static final String DEFAULT_JLIS_RETRY = "PT1M";
    static final String DEFAULT_MAX_BYTES = "65536";

    private final Map<String, String> properties;
    private final Path classpathRoot;
    private final Path workingDirectory;
    private final List<Path> files;

    private RaSettings(Map<String, String> properties, Path classpathRoot, Path workingDirectory, List<Path> files) {
        this.properties = properties;
        this.classpathRoot = classpathRoot;
        this.workingDirectory = workingDirectory;
        this.files = files;
    }

    /**
     * Reads the RA's properties files in order (a later file overrides an earlier one, as Quarkus's
     * config/application.properties overrides the packaged one). {@code classpathRoot} is where the RA's
     * {@code classpath:} resources are found (its src/main/resources, or an unpacked copy); may be null when
     * the RA's configuration names only files. Relative file paths resolve against {@code workingDirectory}.
     */
    public static RaSettings load(List<Path> propertyFiles, Path classpathRoot, Path workingDirectory) {
        if (propertyFiles.isEmpty()) {
            throw new ConfigException("cpsDocument.raProperties is empty: list the RA's application.properties"
                    + " file(s), the same ones ra-service runs with");
        }
        Map<String, String> base = new TreeMap<>();
        Map<String, String> prod = new TreeMap<>();
        for (Path f : propertyFiles) {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
                p.load(r);
            } catch (IOException e) {
                throw new ConfigException("cpsDocument.raProperties: cannot read " + f + ": " + e.getMessage());
            }
            for (String k : p.stringPropertyNames()) {
                if (k.startsWith("%prod.")) {
                    prod.put(k.substring("%prod.".length()), p.getProperty(k).trim());
                } else if (!k.startsWith("%")) {
                    base.put(k, p.getProperty(k).trim());
                }
            }
        }
        base.putAll(prod);
        return new RaSettings(base, classpathRoot, workingDirectory, List.copyOf(propertyFiles));
    }

    public List<Path> files() {
        return files;
    }

    /** A setting, or its RaConfig default, or a configuration error naming it. */
    String value(String key, String defaultValue) {
        String v = properties.get(key);
        if (v == null || v.isBlank()) {
            if (defaultValue == null) {
                throw new ConfigException("the RA configuration (" + files + ") has no '" + key + "'; the CP/CPS"
                        + " states it, so ra-service must have it too");
            }
            return defaultValue;
        }
        if (v.contains("${")) {
            // Expressions may read the environment of the RA's host, which the secure zone cannot see.
            throw new ConfigException("'" + key + "' is the expression '" + v + "'; the CP/CPS states the RA's values"
                    + " as its files give them: write the value itself in the RA's application.properties");
        }
        return v;
    }

    boolean isSet(String key) {
        String v = properties.get(key);
        return v != null && !v.isBlank();
    }

    /** ra.jpki.signing-policies: comma-separated OIDs. */
    public List<String> signingPolicies() {
        return split(value("ra.jpki.signing-policies", null));
    }

    /** ra.books.retention (RaConfig default P10Y). */
    public Period booksRetention() {
        String v = value("ra.books.retention", DEFAULT_RETENTION);
        try {
            return Period.parse(v);
        } catch (DateTimeParseException e) {
            throw new ConfigException("ra.books.retention '" + v + "' is not an ISO-8601 period such as P10Y");
        }
    }

    public Duration jlisTimeout() {
        return duration("ra.jlis.timeout", DEFAULT_JLIS_TIMEOUT);
    }

    public Duration jlisRetryInterval() {
        return duration("ra.jlis.retry-interval", DEFAULT_JLIS_RETRY);
    }

    public boolean jlisOcspConfigured() {
        return isSet("ra.jlis.ocsp-url");
    }

    public boolean jlisCrlConfigured() {
        return isSet("ra.jlis.crl-url");
    }

    public int applicationMaxBytes() {
        String v = value("ra.application.max-bytes", DEFAULT_MAX_BYTES);
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new ConfigException("ra.application.max-bytes '" + v + "' is not a number of bytes");
        }
    }

    /** ra.consent-documents."id" = SHA-256: document id to digest, sorted by id. */
    public Map<String, String> consentDocuments() {
        Map<String, String> out = new TreeMap<>();
        String prefix = "ra.consent-documents.";
        properties.forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                out.put(k.substring(prefix.length()).replace("\"", ""), v.toLowerCase(Locale.ROOT));
            }
        });
        return out;
    }

    /** ra.jpki.signing-cas[i].path / .sha256, in index order; each file read and checked against its pin. */
    public List<JlisGeneration> jlisGenerations() {
        List<JlisGeneration> out = new ArrayList<>();
        for (int i = 0; isSet("ra.jpki.signing-cas[" + i + "].path") || isSet("ra.jpki.signing-cas[" + i + "].sha256"); i++) {
            String path = value("ra.jpki.signing-cas[" + i + "].path", null);
            String pin = value("ra.jpki.signing-cas[" + i + "].sha256", null).replace(":", "").toLowerCase(Locale.ROOT);
            String name = value("ra.jpki.signing-cas[" + i + "].name", null);
            if (Boolean.parseBoolean(value("ra.jpki.signing-cas[" + i + "].operator-supplied", "false"))
                    && !Files.exists(resolve(path, "ra.jpki.signing-cas[" + i + "].path"))) {
                out.add(new JlisGeneration(pin, path, null, name));
                continue;
            }
            X509Certificate cert;
            try {
                cert = (X509Certificate) CertificateFactory.getInstance("X.509")
                        .generateCertificate(Files.newInputStream(resolve(path, "ra.jpki.signing-cas[" + i + "].path")));
            } catch (IOException | CertificateException e) {
                throw new ConfigException("ra.jpki.signing-cas[" + i + "].path: cannot read the certificate " + path
                        + ": " + e.getMessage());
            }
            String actual;
            try {
                actual = HexFormat.of().formatHex(sha256(cert.getEncoded()));
            } catch (CertificateException e) {
                throw new ConfigException("ra.jpki.signing-cas[" + i + "]: " + e.getMessage());
            }
            if (!actual.equals(pin)) {
                // ra-service refuses to start on this mismatch; the CP/CPS must not state a pin the RA would refuse.
                throw new ConfigException("ra.jpki.signing-cas[" + i + "]: " + path + " has SHA-256 " + actual
                        + ", but the configuration pins " + pin + "; ra-service would refuse to start");
            }
            out.add(new JlisGeneration(actual, path, cert, name));
        }
        if (out.isEmpty()) {
            throw new ConfigException("the RA configuration pins no J-LIS signing CA (ra.jpki.signing-cas[0].path"
                    + " and .sha256); the CP/CPS must name the generations trusted");
        }
        return out;
    }

    /** The approval policy file named by ra.policy.path (RaConfig default classpath:policy/approval-policy-v2.json). */
    public Policy policy() {
        String where = value("ra.policy.path", DEFAULT_POLICY_PATH);
        Path file = resolve(where, "ra.policy.path");
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ConfigException("ra.policy.path: cannot read " + file + ": " + e.getMessage());
        }
        JsonNode n;
        try {
            n = new ObjectMapper().readTree(bytes);
        } catch (IOException e) {
            throw new ConfigException("ra.policy.path: " + file + " is not JSON: " + e.getMessage());
        }
        Map<String, String> outcomes = new LinkedHashMap<>();
        n.path("outcomes").fields().forEachRemaining(e -> outcomes.put(e.getKey(), e.getValue().asText()));
        List<String> curves = new ArrayList<>();
        n.path("csrKeys").path("ecCurves").forEach(c -> curves.add(c.asText()));
        JsonNode rsa = n.path("csrKeys").path("rsaMinimumBits");
        return new Policy(n.path("id").asText(), n.path("version").asText(), HexFormat.of().formatHex(sha256(bytes)),
                outcomes, rsa.isMissingNode() ? null : rsa.asInt(), curves,
                n.path("referAfterJlisUnavailable").asText(null));
    }

    private Duration duration(String key, String def) {
        String v = value(key, def);
        try {
            return Duration.parse(v);
        } catch (DateTimeParseException e) {
            throw new ConfigException(key + " '" + v + "' is not an ISO-8601 duration such as PT1M");
        }
    }

    /** As ra-service resolves a path setting: {@code classpath:} against its resources, else a file path. */
    private Path resolve(String location, String key) {
        if (location.startsWith("classpath:")) {
            if (classpathRoot == null) {
                throw new ConfigException(key + " is '" + location + "', a resource inside ra-service: set"
                        + " cpsDocument.raClasspath to the directory holding the RA's resources (its"
                        + " src/main/resources) so the CP/CPS is generated from the same file");
            }
            return classpathRoot.resolve(location.substring("classpath:".length()));
        }
        Path p = Path.of(location); // ra-service's ConfiguredFile: a plain filesystem path otherwise
        return p.isAbsolute() ? p : workingDirectory.resolve(p).normalize();
    }

    private static List<String> split(String v) {
        List<String> out = new ArrayList<>();
        for (String s : v.split(",")) {
            if (!s.isBlank()) {
                out.add(s.trim());
            }
        }
        return out;
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
