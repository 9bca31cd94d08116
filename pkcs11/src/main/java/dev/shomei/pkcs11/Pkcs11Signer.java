package dev.shomei.pkcs11;

import java.io.IOException;
import java.io.OutputStream;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.SignatureException;
import java.security.cert.X509Certificate;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A {@link Signer} over a key in a PKCS#11 token, through SunPKCS11.
 *
 * <p>Zone: every zone; the one PKCS#11 signer of the project (the CA's keys, the RA's order and checkpoint keys).
 * Initialised {@link Signature} objects are pooled (each holds a token session only while
 * it signs; SunPKCS11 pools the sessions); at most {@code parallelism} operations run at once. When an
 * operation fails because the token, the session or the login was lost, the signer reconnects the token
 * once, reloads the key and retries, so the process recovers without a restart.
 */
public final class Pkcs11Signer implements Signer {

    private record Pooled(Signature signature, int generation) {}

    private final HsmToken token;
    private final String keyLabel;
    private final SignatureAlgorithm algorithm;
    private final X509Certificate certificate;
    private final PublicKey publicKey;
    private final Semaphore permits;
    private final ConcurrentLinkedQueue<Pooled> pool = new ConcurrentLinkedQueue<>();
    private volatile PrivateKey key;
    private volatile int keyGeneration;

    private Pkcs11Signer(HsmToken token, String keyLabel, SignatureAlgorithm algorithm, X509Certificate certificate,
                         PublicKey publicKey, PrivateKey key) {
        this.token = token;
        this.keyLabel = keyLabel;
        this.algorithm = algorithm;
        this.certificate = certificate;
        this.publicKey = publicKey;
        this.key = key;
        this.keyGeneration = token.generation();
        this.permits = new Semaphore(token.config().parallelism(), true);
    }

    /** A signer for a certified key on the token, found by its label. */
    public static Pkcs11Signer open(HsmToken token, String keyLabel) {
        X509Certificate cert = token.certificateChain(keyLabel)[0];
        PrivateKey key = token.privateKey(keyLabel);
        SignatureAlgorithm alg = SignatureAlgorithm.forKey(KeyAlgorithm.of(cert.getPublicKey()));
        return new Pkcs11Signer(token, keyLabel, alg, cert, cert.getPublicKey(), key);
    }

    /** A signer for a key not yet certified (during a ceremony): it can sign its own certificate. */
    public static Pkcs11Signer uncertified(HsmToken token, PrivateKey key, PublicKey publicKey) {
        SignatureAlgorithm alg = SignatureAlgorithm.forKey(KeyAlgorithm.of(publicKey));
        return new Pkcs11Signer(token, null, alg, null, publicKey, key);
    }

    @Override
    public SignatureAlgorithm algorithm() { return algorithm; }

    @Override
    public X509Certificate certificate() { return certificate; }

    @Override
    public PublicKey publicKey() { return publicKey; }

    @Override
    public Pkcs11Uri keyUri() {
        return Pkcs11Uri.of(token.config().tokenLabel(), keyLabel == null ? "(uncertified)" : keyLabel);
    }

    public String keyLabel() { return keyLabel; }

    @Override
    public byte[] sign(byte[] data) {
        return sign(out -> out.write(data));
    }

    @Override
    public byte[] sign(Content content) {
        acquire();
        try {
            try {
                return attempt(content);
            } catch (GeneralSecurityException | RuntimeException e) {
                if (!recoverable(e)) {
                    throw new HsmException("signing with " + keyUri() + " failed: " + HsmToken.rootMessage(e), e);
                }
                recover();
                try {
                    return attempt(content);
                } catch (GeneralSecurityException | RuntimeException again) {
                    throw new HsmException("signing with " + keyUri() + " failed after reconnecting the token: "
                            + HsmToken.rootMessage(again), again);
                }
            }
        } finally {
            permits.release();
        }
    }

    private byte[] attempt(Content content) throws GeneralSecurityException {
        Pooled p = take();
        boolean healthy = false;
        try {
            Signature s = p.signature();
            content.writeTo(new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    try {
                        s.update(b, off, len);
                    } catch (SignatureException e) {
                        throw new IOException(e);
                    }
                }
            });
            byte[] sig = s.sign();
            healthy = true;
            return sig;
        } catch (IOException e) {
            if (e.getCause() instanceof GeneralSecurityException gse) {
                throw gse;
            }
            throw new HsmException("cannot write the content to sign: " + e.getMessage(), e);
        } finally {
            if (healthy && p.generation() == token.generation()) {
                pool.offer(p);
            }
        }
    }

    private Pooled take() throws GeneralSecurityException {
        int gen = token.generation();
        Pooled p;
        while ((p = pool.poll()) != null) {
            if (p.generation() == gen) {
                return p;
            }
        }
        Signature s = Signature.getInstance(algorithm.jcaName(), token.provider());
        s.initSign(currentKey());
        return new Pooled(s, gen);
    }

    private PrivateKey currentKey() {
        if (keyGeneration != token.generation()) {
            reloadKey();
        }
        return key;
    }

    private synchronized void reloadKey() {
        if (keyGeneration == token.generation()) {
            return;
        }
        if (keyLabel == null) {
            throw new HsmException("the uncertified ceremony key cannot be reloaded after the token was lost;"
                    + " start the ceremony again");
        }
        key = token.privateKey(keyLabel);
        keyGeneration = token.generation();
    }

    private void recover() {
        pool.clear();
        token.reconnect(keyGeneration);
        reloadKey();
    }

    /** Failures that a fresh session and login can mend (as opposed to, say, a bad mechanism). */
    private static boolean recoverable(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            String m = String.valueOf(c.getMessage());
            if (m.contains("CKR_SESSION_HANDLE_INVALID") || m.contains("CKR_SESSION_CLOSED")
                    || m.contains("CKR_USER_NOT_LOGGED_IN") || m.contains("CKR_TOKEN_NOT_PRESENT")
                    || m.contains("CKR_DEVICE_REMOVED") || m.contains("CKR_OBJECT_HANDLE_INVALID")
                    || m.contains("CKR_KEY_HANDLE_INVALID") || m.contains("CKR_DEVICE_ERROR")
                    || m.contains("Token has been removed") || m.contains("Token removed")) {
                return true;
            }
        }
        return false;
    }

    private void acquire() {
        try {
            if (!permits.tryAcquire(60, TimeUnit.SECONDS)) {
                throw new HsmException("no HSM session for " + keyUri() + " became free within 60 s (parallelism "
                        + token.config().parallelism() + ")");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HsmException("interrupted while waiting for an HSM session", e);
        }
    }

    /** Signs a random probe and verifies it with the public key. */
    @Override
    public Health health() {
        byte[] probe = new byte[32];
        new SecureRandom().nextBytes(probe);
        try {
            byte[] sig = sign(probe);
            Signature v = Signature.getInstance(algorithm.jcaName());
            v.initVerify(publicKey);
            v.update(probe);
            boolean ok = v.verify(sig);
            return new Health(ok, keyUri() + " on slot " + token.slotId() + ": probe signature "
                    + (ok ? "verified" : "DID NOT VERIFY") + " (" + algorithm.jcaName() + ")");
        } catch (GeneralSecurityException | RuntimeException e) {
            return new Health(false, keyUri() + ": " + HsmToken.rootMessage(e));
        }
    }
}
