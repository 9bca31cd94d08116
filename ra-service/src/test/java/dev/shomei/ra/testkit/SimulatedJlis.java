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
 * 15 minutes) and a daily CRL (RFC 5280) of the 2024 generation. Tests steer it over HTTP ({@link JlisControl}),
 * since the Quarkus application and the test may see different copies of static state.
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

    private record Responder(JpkiTestCa.Generation ca, X509CertificateHolder caHolder, JpkiTestCa.Generation delegate,
                             X509CertificateHolder[] chain, ThreadLocal<ContentSigner> signer) {}

    public SimulatedJlis() throws Exception {
        // The JDK server leaves Nagle's algorithm on unless told: small responses would then wait for the
        // client's delayed ACK (~40 ms each), and the simulated J-LIS, not the RA, would be measured.
        System.setProperty("sun.net.httpserver.nodelay", "true");
        digests = new JcaDigestCalculatorProviderBuilder().build();
        responders = List.of(responder(JpkiTestCa.GEN_2024), responder(JpkiTestCa.GEN_2019));
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 256);
        server.setExecutor(executor);
        server.createContext("/ocsp", this::ocsp);
        server.createContext("/crl", this::crl);
        server.createContext("/control", this::control);
        server.start();
    }

    private static Responder responder(JpkiTestCa.Generation ca) throws Exception {
        JpkiTestCa.Generation delegate = JpkiTestCa.ocspResponder(ca);
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
            if (responder == null) {
                answer = new OCSPRespBuilder().build(OCSPRespBuilder.UNAUTHORIZED, null).getEncoded();
            } else {
                BasicOCSPRespBuilder b = new JcaBasicOCSPRespBuilder(responder.delegate().certificate().getPublicKey(),
                        digests.get(CertificateID.HASH_SHA1));
                Date thisUpdate = new Date();
                Date nextUpdate = Date.from(Instant.now().plus(Duration.ofMinutes(15)));
                for (Req r : requests) {
                    CertificateID id = r.getCertID();
                    CertificateStatus status = revoked.contains(id.getSerialNumber())
                            ? new RevokedStatus(new Date(System.currentTimeMillis() - 60_000), CRLReason.keyCompromise)
                            : CertificateStatus.GOOD;
                    b.addResponse(id, status, thisUpdate, nextUpdate);
                }
                answer = new OCSPRespBuilder().build(OCSPResp.SUCCESSFUL,
                        b.build(responder.signer().get(), responder.chain(), thisUpdate)).getEncoded();
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
            JpkiTestCa.Generation ca = JpkiTestCa.GEN_2024;
            Instant now = Instant.now();
            X509v2CRLBuilder b = new JcaX509v2CRLBuilder(ca.certificate().getSubjectX500Principal(), Date.from(now));
            b.setNextUpdate(Date.from(now.plus(Duration.ofDays(1))));
            for (BigInteger serial : revoked) {
                b.addCRLEntry(serial, Date.from(now.minusSeconds(60)), CRLReason.keyCompromise);
            }
            byte[] crl = b.build(new JcaContentSignerBuilder("SHA256withRSA").build(ca.key())).getEncoded();
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
