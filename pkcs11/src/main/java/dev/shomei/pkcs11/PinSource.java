package dev.shomei.pkcs11;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where the token's user PIN comes from: a file ({@code file:/path}, first line) or an environment
 * variable ({@code env:NAME}). Never the command line, never a log: {@link #toString()} names only the
 * source.
 */
public record PinSource(String kind, String location) {

    public static PinSource parse(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("no PIN source configured: set hsm.pin to file:/path/to/pin or env:VARIABLE");
        }
        if (spec.startsWith("file:")) {
            return new PinSource("file", spec.substring(5).replaceFirst("^//", ""));
        }
        if (spec.startsWith("env:")) {
            return new PinSource("env", spec.substring(4));
        }
        throw new IllegalArgumentException("unsupported PIN source '" + spec
                + "': use file:/path/to/pin or env:VARIABLE (a literal PIN is never accepted)");
    }

    public char[] read() {
        return read(System.getenv());
    }

    char[] read(Map<String, String> environment) {
        String pin;
        if (kind.equals("file")) {
            Path p = Path.of(location);
            try {
                String content = Files.readString(p, StandardCharsets.UTF_8);
                int nl = content.indexOf('\n');
                pin = (nl >= 0 ? content.substring(0, nl) : content).strip();
            } catch (IOException e) {
                throw new HsmException("cannot read the HSM PIN file " + p + ": " + e.getClass().getSimpleName()
                        + (e.getMessage() == null ? "" : " " + e.getMessage()));
            }
        } else {
            pin = environment.get(location);
            if (pin == null) {
                throw new HsmException("the HSM PIN environment variable " + location + " is not set");
            }
        }
        if (pin.isEmpty()) {
            throw new HsmException("the HSM PIN from " + this + " is empty");
        }
        return pin.toCharArray();
    }

    @Override
    public String toString() {
        return kind + ":" + location;
    }
}
