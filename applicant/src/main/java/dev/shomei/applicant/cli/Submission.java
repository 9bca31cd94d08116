package dev.shomei.applicant.cli;

import dev.shomei.applicant.application.ApplicationDocument;
import dev.shomei.applicant.key.KeyAlgorithm;
import dev.shomei.applicant.ra.RaClient;
import dev.shomei.applicant.ra.RaProblemException;
import dev.shomei.applicant.ra.RaUnavailableException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The steps {@code apply} and {@code apply renew} share (docs/applicant.md, steps 1, 3, 5 and 6): refusing to
 * overwrite the new key and certificate files, showing the consent document and the key plan, keeping the signed
 * request, and sending it to the RA with its answer shown and its application id written. The two commands differ
 * only in what signs the request (the card, or the current certificate's key) and in the RA endpoint.
 *
 * <p>Zone: the applicant's PC. Talks to the RA (HTTPS) and the files named on the command line.
 */
final class Submission {

    /** What the RA is sent: its endpoint, and the words the applicant is shown for it. */
    record Kind(String noun, String recordedAs, Send send) {
        static final Kind APPLICATION = new Kind("application", "the application ", RaClient::submitApplication);
        static final Kind RENEWAL = new Kind("renewal", "the renewal as application ", RaClient::submitRenewal);
    }

    @FunctionalInterface
    interface Send {
        RaClient.Reply send(RaClient client, byte[] cms) throws RaProblemException, RaUnavailableException;
    }

    private Submission() {
    }

    /**
     * Step 1: a key file and a certificate file are never overwritten (the old ones may belong to a certificate
     * still in use); {@code keyAdvice} tells the applicant what to do instead.
     */
    static void checkNewFiles(KeyTokenOptions keyToken, Path keyOut, String keyAdvice, Path certOut)
            throws UsageException {
        if (!keyToken.onToken() && Files.exists(keyOut)) {
            throw new UsageException("--key-out " + keyOut + " exists; a key file is never overwritten. " + keyAdvice);
        }
        if (Files.exists(certOut)) {
            throw new UsageException("--cert-out " + certOut + " exists; choose another file for the new certificate");
        }
        keyToken.check();
    }

    /** Step 3: the consent document being agreed to, and where the new key goes and what signs it. */
    static void showConsentAndKeyPlan(PrintWriter out, ApplicationDocument.Consent consentDoc, KeyAlgorithm algorithm,
                                      KeyTokenOptions keyToken, Path keyOut, RaClient client, String signedBy) {
        out.println();
        out.println("Consent document '" + consentDoc.documentId() + "' (SHA-256 " + consentDoc.sha256() + "):");
        out.println("-----");
        out.println(consentDoc.textAsString().stripTrailing());
        out.println("-----");
        out.println();
        out.println("A new " + algorithm.label() + " key will be generated "
                + (keyToken.onToken() ? "in token '" + keyToken.token + "' as '" + keyToken.label + "'"
                    : "into " + keyOut + " (encrypted with a passphrase)")
                + "; its public key goes to the RA at " + client.base() + signedBy + ".");
    }

    /** Step 5: keeps the signed request (DER CMS) when asked; sending the same file again is safe. */
    static void saveSigned(byte[] cms, Path file, String option, Kind kind, PrintWriter out) throws UsageException {
        if (file == null) {
            return;
        }
        try {
            Files.write(file, cms);
        } catch (IOException e) {
            throw new UsageException("cannot write " + option + " " + file + ": " + e.getMessage(), e);
        }
        out.println("signed " + kind.noun() + " saved to " + file);
    }

    /**
     * Step 6: sends the signed request and shows the RA's answer; a rejection the RA recorded still has its
     * application id written to {@code idOut}. Returns the RA's reply (the application's view).
     */
    static RaClient.Reply submit(Kind kind, byte[] cms, RaClient client, Path idOut, PrintWriter out)
            throws RefusedException, UsageException, RaUnavailableException {
        out.println("Sending the " + kind.noun() + " to " + client.base() + kind.noun() + "s ...");
        out.flush();
        RaClient.Reply reply;
        try {
            reply = kind.send().send(client, cms);
        } catch (RaProblemException p) {
            if (p.applicationId() != null) {
                out.println("The RA recorded " + kind.recordedAs() + p.applicationId() + " and rejected it:");
                writeId(idOut, p.applicationId());
            } else {
                out.println("The RA refused the " + kind.noun() + " (HTTP " + p.status() + ", " + p.code() + "):");
            }
            out.println("  " + p.title() + ": " + p.detail());
            out.flush();
            throw new RefusedException(p.title() + " (" + p.code() + ")");
        }
        writeId(idOut, StatusView.text(reply.body(), "/applicationId"));
        out.println(reply.status() == 200 ? "The RA already had this " + kind.noun() + ":" : "The RA received it:");
        StatusView.describeApplication(reply.body(), out);
        return reply;
    }

    /** Writes the application id to {@code --id-out}, when given. */
    static void writeId(Path idOut, String id) throws UsageException {
        if (idOut != null && id != null) {
            try {
                Files.writeString(idOut, id + "\n");
            } catch (IOException e) {
                throw new UsageException("cannot write --id-out " + idOut + ": " + e.getMessage(), e);
            }
        }
    }
}
