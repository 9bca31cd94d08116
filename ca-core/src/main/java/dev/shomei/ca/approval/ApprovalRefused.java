package dev.shomei.ca.approval;

import dev.shomei.ca.issuance.CaOperationException;

/** An act refused for want of a valid quorum; the message names what is missing or wrong. Recorded. */
public final class ApprovalRefused extends CaOperationException {
    public ApprovalRefused(String message) {
        super(message);
    }
}
