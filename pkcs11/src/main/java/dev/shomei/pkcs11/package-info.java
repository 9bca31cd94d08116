/**
 * PKCS#11 signing through the JDK's SunPKCS11 provider, the one implementation every zone signs with: the secure
 * zone's CA keys (ca-core, ocsp-presigner) and the online zone's RA keys (ra-service: order bundles, audit
 * checkpoints). A token is reached by its label ({@link dev.shomei.pkcs11.Pkcs11Slots}), logged in to with a PIN from
 * a file or the environment ({@link dev.shomei.pkcs11.PinSource}, {@link dev.shomei.pkcs11.HsmToken}); a key is
 * used through {@link dev.shomei.pkcs11.Pkcs11Signer}, which pools sessions, bounds parallelism and recovers a lost
 * session or token, and is named by its RFC 7512 URI ({@link dev.shomei.pkcs11.Pkcs11Uri}).
 *
 * <p>Zone: every zone. This package depends on no other module of the project (Bouncy Castle only, for algorithm
 * identifiers and the {@code ContentSigner} adapter), so the online zone uses it without loading ca-core. What a zone
 * signs, and with which key, stays in that zone's code. {@link dev.shomei.pkcs11.KeyWrap} (CA key backup) is used by
 * the CA room only. The JVM needs {@code --add-exports=jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED}
 * (bin/lib/env.sh sets it for every launcher).
 */
package dev.shomei.pkcs11;
