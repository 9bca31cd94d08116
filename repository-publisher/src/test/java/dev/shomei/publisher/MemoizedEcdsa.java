package dev.shomei.publisher;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.security.InvalidKeyException;
import java.security.InvalidParameterException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Security;
import java.security.Signature;
import java.security.SignatureException;
import java.security.SignatureSpi;
import java.security.interfaces.ECPublicKey;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A JCA provider, for the bundle fuzz target only, that remembers the JDK's ECDSA verdicts by the exact bytes they
 * were given: the same public key, the same signed bytes and the same signature get the verdict SunEC gave the first
 * time (true, false, or the same {@link SignatureException} message); any other bytes are verified by SunEC afresh.
 *
 * <p>Why: a mutated bundle differs from the signed one in one place, yet the verifier checks every signature of it
 * (the manifest's signer certificate, the CRL, the OCSP response and its responder certificate, the CP/CPS's PAdES
 * signature and its signer), most of them over bytes it checked a thousand times. ECDSA verification is a pure
 * function of those bytes, so remembering it changes no verdict; the verifier's own code (parsing, which key, which
 * bytes, what it does with the verdict) runs in full for every input. Signatures the verifier asks of Bouncy Castle
 * by name (the manifest's CMS) are not affected.
 *
 * <p>Zone: tests only. Installed first in the JCA provider list only while the target runs ({@link #install}).
 */
final class MemoizedEcdsa extends Provider {

    static final String NAME = "FuzzMemoizedEcdsa";
    /** Remembered verdicts are dropped when there are this many (mutated bytes are new every time). */
    static final int CAPACITY = 20_000;
    static final AtomicLong HITS = new AtomicLong();
    static final AtomicLong MISSES = new AtomicLong();
    private static final Map<ByteBuffer, String> VERDICTS = new ConcurrentHashMap<>();
    private static final String VALID = "";
    private static final String INVALID = "\0";

    private MemoizedEcdsa() {
        super(NAME, "1", "remembers SunEC's ECDSA verdicts for byte-identical inputs (fuzzing only)");
        for (String[] alg : List.of(
                new String[] {"SHA256withECDSA", "1.2.840.10045.4.3.2"},
                new String[] {"SHA384withECDSA", "1.2.840.10045.4.3.3"},
                new String[] {"SHA512withECDSA", "1.2.840.10045.4.3.4"})) {
            String name = alg[0];
            // Only public EC keys: a private key (signing) goes to the next provider, as without this one.
            putService(new Service(this, "Signature", name, Spi.class.getName(), List.of(alg[1], "OID." + alg[1]),
                    Map.of("SupportedKeyClasses", ECPublicKey.class.getName())) {
                @Override
                public Object newInstance(Object ctr) {
                    return new Spi(name);
                }
            });
        }
    }

    /** Puts the provider first; {@link #uninstall} removes it. */
    static void install() {
        Security.insertProviderAt(new MemoizedEcdsa(), 1);
    }

    static void uninstall() {
        Security.removeProvider(NAME);
        VERDICTS.clear();
    }

    static final class Spi extends SignatureSpi {
        private final String algorithm;
        private PublicKey key;
        private Signature sunEc;
        private final ByteArrayOutputStream data = new ByteArrayOutputStream();

        Spi(String algorithm) {
            this.algorithm = algorithm;
        }

        @Override
        protected void engineInitVerify(PublicKey publicKey) throws InvalidKeyException {
            if (!(publicKey instanceof ECPublicKey)) {
                throw new InvalidKeyException("not an EC public key");
            }
            // SunEC's own checks of the key run for every use, as without this provider (and throw the same).
            try {
                sunEc = Signature.getInstance(algorithm, "SunEC");
            } catch (java.security.GeneralSecurityException e) {
                throw new IllegalStateException("SunEC has no " + algorithm, e);
            }
            sunEc.initVerify(publicKey);
            key = publicKey;
            data.reset();
        }

        @Override
        protected void engineInitSign(PrivateKey privateKey) throws InvalidKeyException {
            throw new InvalidKeyException("verification only");
        }

        @Override
        protected void engineUpdate(byte b) {
            data.write(b);
        }

        @Override
        protected void engineUpdate(byte[] b, int off, int len) {
            data.write(b, off, len);
        }

        @Override
        protected byte[] engineSign() throws SignatureException {
            throw new SignatureException("verification only");
        }

        @Override
        protected boolean engineVerify(byte[] sigBytes) throws SignatureException {
            byte[] k = key.getEncoded();
            byte[] d = data.toByteArray();
            data.reset();
            // The exact bytes, length-prefixed: equal keys are equal inputs, never merely similar ones.
            ByteBuffer id = ByteBuffer.allocate(16 + algorithm.length() + k.length + d.length + sigBytes.length)
                    .putInt(algorithm.length()).put(algorithm.getBytes(java.nio.charset.StandardCharsets.US_ASCII))
                    .putInt(k.length).put(k).putInt(d.length).put(d).putInt(sigBytes.length).put(sigBytes).flip();
            String verdict = VERDICTS.get(id);
            if (verdict == null) {
                MISSES.incrementAndGet();
                verdict = sunEc(d, sigBytes);
                if (VERDICTS.size() >= CAPACITY) {
                    VERDICTS.clear();
                }
                VERDICTS.put(id, verdict);
            } else {
                HITS.incrementAndGet();
            }
            if (verdict.equals(VALID)) {
                return true;
            }
            if (verdict.equals(INVALID)) {
                return false;
            }
            throw new SignatureException(verdict);
        }

        private String sunEc(byte[] d, byte[] sigBytes) {
            try {
                sunEc.update(d);
                return sunEc.verify(sigBytes) ? VALID : INVALID;
            } catch (SignatureException e) {
                return String.valueOf(e.getMessage());
            }
        }

        @Override
        @Deprecated
        protected void engineSetParameter(String param, Object value) {
            throw new InvalidParameterException("no parameters");
        }

        @Override
        @Deprecated
        protected Object engineGetParameter(String param) {
            throw new InvalidParameterException("no parameters");
        }
    }
}
