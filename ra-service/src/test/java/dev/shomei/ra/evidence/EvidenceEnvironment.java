package dev.shomei.ra.evidence;

import dev.shomei.ra.testkit.CaCoreEnvironment;

/**
 * The RA with a real ca-core CA, in databases of their own: the evidence test counts and reconciles everything in
 * them, so it must not share them with other end-to-end tests (Quarkus starts one application per resource class).
 *
 * <p>Zone: tests only.
 */
public class EvidenceEnvironment extends CaCoreEnvironment {

    /** The evidence figures count the CA's certificates; this CA has no delegated result signer among them. */
    @Override
    protected boolean resultSigner() {
        return false;
    }
}
