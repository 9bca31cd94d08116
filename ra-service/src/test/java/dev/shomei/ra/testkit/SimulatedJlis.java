package dev.shomei.ra.testkit;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v2CRLBuilder;
import org.bouncycastle.cert.ocsp.BasicOCSPRespBuilder;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPReq;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.OCSPRespBuilder;
import org.bouncycastle.cert.ocsp.Req;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.bouncycastle.cert.ocsp.jcajce.JcaBasicOCSPRespBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.DigestCalculatorProvider;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

/**
 * A simulated J-LIS revocation service on 127.0.0.1 (JDK HTTP server): an OCSP responder (RFC 6960, one delegated
 * P-256 responder per signing CA generation, responses valid 15 minutes as J-LIS's OCSP is refreshed about every
 * 15 minutes) and a daily CRL (RFC 5280) of the 2024 generation, with an issuingDistributionPoint naming the
 * distribution point the test certificates carry. Tests steer it over HTTP ({@link JlisControl}), since the Quarkus
 * application and the test may see different copies of static state.
 *
 * <p>Besides answering correctly it can answer wrongly, one way at a time, so that the RA's check is tested from the
 * failing side: OCSP modes {@code stale}, {@code future}, {@code forged} (signature by another key),
 * {@code unauthorised} (a CA-issued responder certificate without id-kp-OCSPSigning), {@code foreign-responder}
 * (a responder certified by the look-alike CA), {@code unknown}, {@code other-certificate} (an answer for another
 * serial), {@code no-next-update-old} (and, answering correctly, {@code no-next-update-fresh}); CRL modes {@code stale}, {@code future}, {@code forged} (signed by the
 * look-alike CA's key, same DN), {@code ca-only} and {@code other-dp} (an issuingDistributionPoint that does not
 * cover the certificate), {@code delta}, {@code huge} (larger than the test profile's size limit). It counts CRL downloads.
 *
 * <p>Zone: tests only.
 */
public final class SimulatedJlis implements AutoCloseable {

    private final HttpServer server;
    private final ExecutorService executor = Executors.newFixedThreadPool(4);
    private final Set<BigInteger> revoked = ConcurrentHashMap.newKeySet();
    private final List<Responder> responders;
    private final DigestCalculatorProvider digests;
    private volatile boolean ocspUp = true;
    private volatile boolean crlUp = true;
    private volatile String ocspMode = "good";
    private volatile String crlMode = "good";
    private final java.util.concurrent.atomic.AtomicInteger crlFetches = new java.util.concurrent.atomic.AtomicInteger();
    private final Responder foreign;
    private final Responder noEku;

    private record Responder(JpkiTestCa.Generation ca, X509CertificateHolder caHolder, JpkiTestCa.Generation delegate,
                             X509CertificateHolder[] chain, ThreadLocal<ContentSigner> signer) {}

    public SimulatedJlis() throws Exception {
        // The JDK server leaves Nagle's algorithm on unless told: small responses would then wait for the
        // client's delayed ACK (~40 ms each), and the simulated J-LIS, not the RA, would be measured.
        System.setProperty("sun.net.httpserver.nodelay", "true");
        digests = new JcaDigestCalculatorProviderBuilder().build();
        responders = List.of(responder(JpkiTestCa.GEN_2024), responder(JpkiTestCa.GEN_2019));
        foreign = responder(JpkiTestCa.GEN_2024, JpkiTestCa.ocspResponder(JpkiTestCa.lookAlike()));
        noEku = responder(JpkiTestCa.GEN_2024, responderWithoutEku(JpkiTestCa.GEN_2024));
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 256);
        server.setExecutor(executor);
        server.createContext("/ocsp", this::ocsp);
        server.createContext("/crl", this::crl);
        server.createContext("/control", this::control);
        server.start();
    }

    private static Responder responder(JpkiTestCa.Generation ca) throws Exception {
        return responder(ca, JpkiTestCa.ocspResponder(ca));
    }

    /** A certificate the CA issued to the responder's key, but without id-kp-OCSPSigning (RFC 6960 4.2.2.2). */
    private static JpkiTestCa.Generation responderWithoutEku(JpkiTestCa.Generation ca) throws Exception {
        java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("EC");
        g.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
        java.security.KeyPair kp = g.generateKeyPair();
        Instant now = Instant.now();
        org.bouncycastle.cert.X509v3CertificateBuilder b = new org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder(
                ca.subject(), BigInteger.valueOf(now.toEpochMilli()), Date.from(now.minus(Duration.ofDays(1))),
                Date.from(now.plus(Duration.ofDays(30))), new org.bouncycastle.asn1.x500.X500Name(
                        "CN=JPKI-TEST not a responder,O=JPKI-TEST,C=JP"), kp.getPublic());
        b.addExtension(org.bouncycastle.asn1.x509.Extension.keyUsage, true,
                new org.bouncycastle.asn1.x509.KeyUsage(org.bouncycastle.asn1.x509.KeyUsage.digitalSignature));
        java.security.cert.X509Certificate cert = new org.bouncycastle.cert.jcajce.JcaX509CertificateConverter()
                .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withRSA").build(ca.key())));
        return new JpkiTestCa.Generation(cert, kp.getPrivate());
    }

    private static Responder responder(JpkiTestCa.Generation ca, JpkiTestCa.Generation delegate) throws Exception {
        X509CertificateHolder[] chain = {new JcaX509CertificateHolder(delegate.certificate())};
        return new Responder(ca, new JcaX509CertificateHolder(ca.certificate()), delegate, chain,
                ThreadLocal.withInitial(() -> {
                    try {
                        return new JcaContentSignerBuilder("SHA256withECDSA").build(delegate.key());
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }));
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private void ocsp(HttpExchange x) throws IOException {
        try (x) {
            if (!ocspUp) {
                x.sendResponseHeaders(503, -1);
                return;
            }
            byte[] body = x.getRequestBody().readAllBytes();
            OCSPReq req = new OCSPReq(body);
            Req[] requests = req.getRequestList();
            Responder responder = null;
            for (Responder r : responders) {
                if (requests.length > 0 && requests[0].getCertID().matchesIssuer(r.caHolder(), digests)) {
                    responder = r;
                }
            }
            byte[] answer;
            String mode = ocspMode;
            if (responder != null && mode.equals("foreign-responder")) {
                responder = foreign;
            } else if (responder != null && mode.equals("unauthorised")) {
                responder = noEku;
            }
            if (responder == null) {
                answer = new OCSPRespBuilder().build(OCSPRespBuilder.UNAUTHORIZED, null).getEncoded();
            } else {
                BasicOCSPRespBuilder b = new JcaBasicOCSPRespBuilder(responder.delegate().certificate().getPublicKey(),
                        digests.get(CertificateID.HASH_SHA1));
                Instant now = Instant.now();
                Date thisUpdate = Date.from(now);
                Date nextUpdate = Date.from(now.plus(Duration.ofMinutes(15)));
                switch (mode) {
                    case "stale" -> {
                        thisUpdate = Date.from(now.minus(Duration.ofHours(2)));
                        nextUpdate = Date.from(now.minus(Duration.ofHours(1)));
                    }
                    case "future" -> {
                        thisUpdate = Date.from(now.plus(Duration.ofHours(1)));
                        nextUpdate = Date.from(now.plus(Duration.ofHours(2)));
                    }
                    case "no-next-update-old" -> {
                        thisUpdate = Date.from(now.minus(Duration.ofHours(2)));
                        nextUpdate = null;
                    }
                    case "no-next-update-fresh" -> nextUpdate = null;
                    default -> { }
                }
                for (Req r : requests) {
                    CertificateID id = r.getCertID();
                    if (mode.equals("other-certificate")) {
                        id = new CertificateID(digests.get(CertificateID.HASH_SHA1), responder.caHolder(),
                                id.getSerialNumber().add(BigInteger.ONE));
                    }
                    CertificateStatus status = revoked.contains(id.getSerialNumber())
                            ? new RevokedStatus(new Date(System.currentTimeMillis() - 60_000), CRLReason.keyCompromise)
                            : mode.equals("unknown") ? new org.bouncycastle.cert.ocsp.UnknownStatus()
                            : CertificateStatus.GOOD;
                    b.addResponse(id, status, thisUpdate, nextUpdate);
                }
                ContentSigner signer = responder.signer().get();
                if (mode.equals("forged")) {
                    // Signed by a key nobody certified, with the genuine responder certificate attached.
                    java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("EC");
                    g.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
                    signer = new JcaContentSignerBuilder("SHA256withECDSA").build(g.generateKeyPair().getPrivate());
                }
                answer = new OCSPRespBuilder().build(OCSPResp.SUCCESSFUL,
                        b.build(signer, responder.chain(), Date.from(now))).getEncoded();
            }
            x.getResponseHeaders().add("Content-Type", "application/ocsp-response");
            x.sendResponseHeaders(200, answer.length);
            try (OutputStream out = x.getResponseBody()) {
                out.write(answer);
            }
        } catch (Exception e) {
            x.sendResponseHeaders(500, -1);
        }
    }

    private void crl(HttpExchange x) throws IOException {
        try (x) {
            if (!crlUp) {
                x.sendResponseHeaders(503, -1);
                return;
            }
            crlFetches.incrementAndGet();
            JpkiTestCa.Generation ca = JpkiTestCa.GEN_2024;
            String mode = crlMode;
            Instant now = Instant.now();
            Instant thisUpdate = switch (mode) {
                case "stale" -> now.minus(Duration.ofDays(2));
                case "future" -> now.plus(Duration.ofHours(2));
                default -> now;
            };
            X509v2CRLBuilder b = new JcaX509v2CRLBuilder(ca.certificate().getSubjectX500Principal(),
                    Date.from(thisUpdate));
            b.setNextUpdate(Date.from(thisUpdate.plus(Duration.ofDays(1))));
            for (BigInteger serial : revoked) {
                b.addCRLEntry(serial, Date.from(now.minusSeconds(60)), CRLReason.keyCompromise);
            }
            // The distribution point the test certificates name (JpkiTestCa), or another one / CA certificates only.
            String dp = mode.equals("other-dp") ? "CRL2" : "CRL1";
            org.bouncycastle.asn1.x509.DistributionPointName dpName = new org.bouncycastle.asn1.x509.DistributionPointName(
                    new org.bouncycastle.asn1.x509.GeneralNames(new org.bouncycastle.asn1.x509.GeneralName(
                            org.bouncycastle.asn1.x509.GeneralName.directoryName,
                            new org.bouncycastle.asn1.x500.X500NameBuilder(org.bouncycastle.asn1.x500.style.BCStyle.INSTANCE)
                                    .addRDN(org.bouncycastle.asn1.x500.style.BCStyle.C, "JP")
                                    .addRDN(org.bouncycastle.asn1.x500.style.BCStyle.O, "JPKI-TEST")
                                    .addRDN(org.bouncycastle.asn1.x500.style.BCStyle.OU, "CRL Distribution Points")
                                    .addRDN(org.bouncycastle.asn1.x500.style.BCStyle.CN, dp).build())));
            b.addExtension(org.bouncycastle.asn1.x509.Extension.issuingDistributionPoint, true,
                    new org.bouncycastle.asn1.x509.IssuingDistributionPoint(dpName, false, mode.equals("ca-only"),
                            null, false, false));
            if (mode.equals("delta")) {
                b.addExtension(org.bouncycastle.asn1.x509.Extension.deltaCRLIndicator, true,
                        new org.bouncycastle.asn1.x509.CRLNumber(BigInteger.ONE));
            }
            java.security.PrivateKey key = mode.equals("forged") ? JpkiTestCa.lookAlike().key() : ca.key();
            byte[] crl = b.build(new JcaContentSignerBuilder("SHA256withRSA").build(key)).getEncoded();
            if (mode.equals("huge")) {
                // One byte more than the test profile's ra.jlis.crl-max-bytes (1 MiB): refused before parsing.
                crl = java.util.Arrays.copyOf(crl, 1024 * 1024 + 1);
            }
            x.getResponseHeaders().add("Content-Type", "application/pkix-crl");
            x.sendResponseHeaders(200, crl.length);
            try (OutputStream out = x.getResponseBody()) {
                out.write(crl);
            }
        } catch (Exception e) {
            x.sendResponseHeaders(500, -1);
        }
    }

    private void control(HttpExchange x) throws IOException {
        try (x) {
            String what = x.getRequestURI().getPath().substring("/control/".length());
            String arg = new String(x.getRequestBody().readAllBytes(), StandardCharsets.US_ASCII).strip();
            switch (what) {
                case "revoke" -> revoked.add(new BigInteger(arg, 16));
                case "ocsp" -> ocspUp = arg.equals("up");
                case "crl" -> crlUp = arg.equals("up");
                case "ocsp-mode" -> ocspMode = arg;
                case "crl-mode" -> crlMode = arg;
                case "crl-fetches" -> {
                    byte[] n = String.valueOf(crlFetches.get()).getBytes(StandardCharsets.US_ASCII);
                    x.sendResponseHeaders(200, n.length);
                    try (OutputStream out = x.getResponseBody()) {
                        out.write(n);
                    }
                    return;
                }
                default -> {
                    x.sendResponseHeaders(404, -1);
                    return;
                }
            }
            x.sendResponseHeaders(204, -1);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
