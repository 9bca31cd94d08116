package dev.shomei.ca.lint;

import java.util.List;

/** The to-be-signed certificate broke one or more rules; nothing was signed. */
public class LintException extends RuntimeException {
    private final List<String> findings;

    public LintException(List<String> findings) {
        super("pre-issuance lint refused the certificate: " + String.join("; ", findings));
        this.findings = List.copyOf(findings);
    }

    public List<String> findings() {
        return findings;
    }
}
