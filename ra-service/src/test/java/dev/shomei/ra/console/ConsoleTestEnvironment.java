package dev.shomei.ra.console;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shomei.evidence.EvidencePack;
import dev.shomei.evidence.Reconciliation;
import dev.shomei.ra.testkit.RaTestEnvironment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The RA test environment, plus an evidence report installed for the auditor view (ra.console.reconciliation-report),
 * written with the evidence module's own reconciliation format, with one discrepancy in it.
 *
 * <p>Zone: tests only.
 */
public class ConsoleTestEnvironment extends RaTestEnvironment {

    static final String DISCREPANCY = "ocsp-missing ocsp/ab/1f.der: no OCSP response for serial 1f";

    @Override
    public Map<String, String> start() {
        Map<String, String> props = new LinkedHashMap<>(super.start());
        try {
            Path file = Path.of("target", "console-test-report-" + ProcessHandle.current().pid() + ".json")
                    .toAbsolutePath();
            Map<String, Object> report = new LinkedHashMap<>();
            report.put("format", "shomei-evidence-report/v1");
            report.put("period", "2026-10-01T00:00:00Z/2027-01-01T00:00:00Z");
            report.put("generatedAt", "2027-01-02T00:00:00Z");
            report.put("reconciliation", EvidencePack.reconciliation(new Reconciliation.Result(
                    Map.of("caCertificates", 280L, "raOrdersDone", 280L), List.of(),
                    List.of(new Reconciliation.Discrepancy("ocsp-missing", "ocsp/ab/1f.der",
                            "no OCSP response for serial 1f")), List.of(), "no publication history given")));
            Files.createDirectories(file.getParent());
            Files.write(file, new ObjectMapper().writeValueAsBytes(report));
            props.put("ra.console.reconciliation-report", file.toString());
            return props;
        } catch (Exception e) {
            throw new IllegalStateException("cannot write the test evidence report: " + e.getMessage(), e);
        }
    }
}
