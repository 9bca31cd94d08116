package dev.shomei.ra.testkit;

import dev.shomei.ca.issuance.CaEventLog;
import dev.shomei.ca.issuance.RevocationReason;
import java.security.cert.X509Certificate;
import java.sql.Connection;

/** ca-core's event log for the end-to-end test: the CA's own audit is ca-core's concern, not under test here. */
public final class CaEvents {

    public static final CaEventLog NONE = new CaEventLog() {
        @Override public void caKeyCertified(Connection tx, String label, String role, X509Certificate c) { }
        @Override public void certificateIssued(Connection tx, String requestId, X509Certificate c, String profile) { }
        @Override public void certificateRevoked(Connection tx, String serialHex, RevocationReason r, String by) { }
        @Override public void orderExecuted(Connection tx, String bundleId, String orderId, String decisionId,
                                            String status, String detail) { }
        @Override public void orderBundleRefused(Connection tx, String bundleId, String reason) { }
        @Override public void crlIssued(Connection tx, String issuerLabel, long crlNumber, int entries, String sha) { }
    };

    private CaEvents() {}
}
