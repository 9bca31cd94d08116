package dev.shomei.ra.console;

import java.util.List;

/**
 * What the console's templates show: plain values, already read from the books and the evidence, so that a template
 * only lays them out (and Qute escapes every one of them).
 *
 * <p>Zone: online (ra-service), console. Value types only.
 */
public final class Views {

    private Views() {}

    /** The signed-in staff member and the page's language, shown on every page. */
    public record Page(String user, String role, String lang, String path, String otherLangQuery) {
        public boolean officer() {
            return "OFFICER".equals(role);
        }

        public boolean auditor() {
            return "AUDITOR".equals(role);
        }
    }

    /** One character of a name or address as the card states it; {@code substitute} where the card flags 代替文字. */
    public record Char(String text, boolean substitute) {}

    /** A labelled value of a parsed piece of evidence; labels are the RFC's field names, the same in every language. */
    public record Fact(String label, String value) {}

    public record Finding(String code, String detail) {}

    /** A row of the queue or of a search. */
    public record Row(String kind, String id, String status, String receivedAt, List<Finding> findings,
                      String summary, boolean substitutes, int pendingApprovals, String href) {
        public boolean application() {
            return "application".equals(kind);
        }
    }

    public record DecisionView(String outcome, String deciderKind, String decider, String authentication,
                               String decidedAt, String policy, List<Finding> reasons) {}

    public record ApprovalView(String officer, String approvedAt, boolean jlisOverride) {}

    /** The identity the JPKI certificate states, next to what the applicant claimed. */
    public record IdentityView(List<Char> name, String nameFlags, List<Integer> namePositions, String birthDate,
                               String birthDateGregorian, String birthDateProblem, String gender, List<Char> address,
                               List<Integer> addressPositions, String claimedName, String claimedBirthDate,
                               String claimedGender, String claimedAddress, String officerCertifiedName,
                               String cardName) {
        public boolean hasSubstitutes() {
            return !namePositions.isEmpty() || !addressPositions.isEmpty();
        }

        public String namePositionsText() {
            return namePositions.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(", "));
        }

        public String addressPositionsText() {
            return addressPositions.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(", "));
        }
    }

    /** An application with its evidence, as an officer reviews it. */
    public record ApplicationPage(String id, String status, String route, String receivedAt, String signingTime,
                                  List<Finding> findings, IdentityView identity, List<Fact> jpkiCertificate,
                                  List<Fact> jlis, List<Fact> csr, List<Fact> consent, List<Fact> policy,
                                  List<DecisionView> decisions, List<ApprovalView> pendingApprovals,
                                  boolean awaitingOfficer, boolean nameMustBeEntered, boolean jlisAnswered,
                                  String certificateSerial, String renewsApplicationId) {}

    /** A revocation request with its evidence. */
    public record RevocationPage(String id, String status, String initiatedBy, String route, String applicationId,
                                 String certificateSerial, String reason, String receivedAt, List<Fact> signer,
                                 List<Fact> jlis, List<DecisionView> decisions, boolean awaitingOfficer) {}

    /** The evidence report's statistics of a period, as label/count rows (evidence.Statistics computes them). */
    public record StatsView(String received, List<Fact> byOutcome, List<Fact> byDecider, List<Fact> byFinding,
                            List<Fact> timeToDecision, List<Fact> jlis, List<Fact> revocations) {}

    /** One stratum of a sample: its name, how many decisions it holds, and the decision ids drawn from it. */
    public record Stratum(String name, int size, List<String> chosen) {}

    /** A sample as drawn (evidence.Sample), with the checkpoint whose root hash seeded it. */
    public record SampleView(String from, String to, String seedRoot, long seedTreeSize, String seedTime,
                             boolean seedBeforePeriodEnd, int perStratum, List<Stratum> strata) {}

    /** The reconciliation section of the installed evidence report. */
    public record ReconciliationView(String period, String generatedAt, String sha256, List<Fact> counts,
                                     List<String> manualActs, List<String> discrepancies) {}
}
