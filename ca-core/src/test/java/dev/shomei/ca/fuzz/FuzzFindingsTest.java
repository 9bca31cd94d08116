package dev.shomei.ca.fuzz;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shomei.ca.issuance.Csr;
import dev.shomei.ca.issuance.CsrException;
import dev.shomei.ca.orders.OrderBundleException;
import dev.shomei.ca.orders.OrderBundleVerifier;
import dev.shomei.pkcs11.KeyAlgorithm;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.EnumSet;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;

/**
 * Inputs the fuzzers found that crashed a parser, kept as regression tests: each must now end in the parser's
 * documented refusal, naming what is wrong.
 *
 * <p>Zone: tests only.
 */
class FuzzFindingsTest {

    /**
     * A P-256 CSR whose subjectPublicKey BIT STRING claims 2 unused bits: the JDK reads the key, and the key-quality
     * check then failed with an IllegalStateException from Bouncy Castle (a 500 at the RA, a crashed order at the CA).
     */
    @Test
    void anEcKeyBitStringWithUnusedBitsIsRefusedAsACsrProblem() {
        byte[] input = Base64.getDecoder().decode("MIHzMIGZAgEAMDcxFjAUBgNVBAMMDeWxseeUsCDlpKrpg44xEDAOBgNVJAoMB0V4YW1w"
                + "bGUxCzAJBgNVBAYTAkpQMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgIEdwqQeDJ4S+dRlpOm2/Al+1/ChhzTvXKyU4k6QKmwNgOf6"
                + "UjLHmtYXPK3MqSguOrT4I9Ws1ZX5yXV3RwIALGrRKAAMAoGCCqGSM49BAMCA0kAMEYCIQCDdbfor1ZuRn79dQWkBc3qvHNpt8UamU"
                + "IQqudsE2PD0AIhAO5zxjSlMriadjUtxpBkqmiohmk6+eeLt851akZAnM9/");
        assertThatThrownBy(() -> Csr.parse(input, EnumSet.allOf(KeyAlgorithm.class)))
                .isInstanceOf(CsrException.class).hasMessageContaining("unused bits");
    }

    /**
     * A BER order bundle whose certificates field holds a tagged object where a certificate belongs: Bouncy Castle
     * decodes that field lazily, so the verifier failed with an IllegalArgumentException instead of refusing it.
     */
    @Test
    void anOrderBundleWithAMalformedCertificatesFieldIsRefusedAsABundleProblem() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(256);
        KeyPair k = g.generateKeyPair();
        X500Name dn = new X500Name("CN=Fuzz RA Order Signer,C=JP");
        OrderBundleVerifier verifier = new OrderBundleVerifier(List.of(new JcaX509CertificateConverter().getCertificate(
                new JcaX509v3CertificateBuilder(dn, BigInteger.ONE, new Date(), new Date(System.currentTimeMillis()
                        + 86_400_000L), dn, k.getPublic()).build(new JcaContentSignerBuilder("SHA256withECDSA")
                        .build(k.getPrivate())))));
        byte[] input = Base64.getDecoder().decode("MIAGCSqGSIb3DQEHAqCAMIACAQExDTALBglghkgBZQMEAgEwgAYJKoZIhvcNAQcBoIAkgASCAld7ImZvcm1hdCI6InNob21laS1v"
                + "cmRlci1idW5kbGUvdjEiLCJidW5kbGVJZCI6ImJ1bmRsZS0yIiwiY3JlYXRlZEF0IjoiMjAyNi0xMi2AM1QxNDowMDowMFoiLCJv"
                + "cmRlcnMiOlt7Im9yZGVySWQiOiJhcHAtMiIsInR5cGUiOiJpc3N1ZSIsInByb2ZpbGUiOiJzdWJzY3JpYmVyLXNpZ25hdHVyZSIs"
                + "ImNzciI6Ik1JSGlNSUdKQWdFQU1DY3hHREFXQmdOVkJBTU1EMFoxZW5vZ1UzVmljMk55YVdKbGNqRUxNQWtHQTFVRUJoTUNTbEF3"
                + "V1RBVEJnY3Foa2pPUFFJQkJnZ3Foa2pPUFFNQkJ3TkNBQVFYeFIva0h0b2d5eTRKSDYxclh3NlUzc2dyQmYzdngzNU5vVVVrMGEr"
                + "T3ZhUGRIb0UwajJJYngwZXdCU3hGSlpKd3RNVWJPeHk2c29wRlp3SlNDV0tDb0FBd0NnWUlLb1pJemowRUF3SURTQUF3UlFJaEFK"
                + "a0xmWWpnZDBTYlZHVGNpbnVJckVKK2M3SHdwS2RIUk9DeXg1c1BXWWRsQWlBMm1TaEtaRnJwVTN5dGdEYzhhK2tmQVNoRDNsaDB3"
                + "Q3hBNGNQUmExL0E5Zz09IiwiZGVjaXNpb24iOnsiaWQiOiJkZWNpc2lvbi1hcHAtMiIsInNoYTI1NiI6ImFiYWJhYmFiYWJhYmFi"
                + "YWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWIifX1dfQAAAAAAAKCAMIIBRDCB66ADAgEC"
                + "AgEBMAoGCCqGSM49BAMCMCwxHTAbBgNVBAMMFEZ1enogUkEgT3JkZXIgU2lnbmVyMQswCQYDVQQGEwJKUDAeFw0yNjEyMDMxNzAy"
                + "MzFaFw0yNzAxMDIxNzAzMzFaMCwxHTAbBgNVBAMMFEZ1enogUkEgT3JkZXIgU2lnbmVyMQswCQYDVQQGEwJKUDBZMBMGByqGSM49"
                + "AgEGCCqGSM49AwEHA0IABKrR21mI5NigAlxGarr4Yn1CJnLE/OEDj98ZmNa6kOIYBAIITZ3/XewPtHGMBQvJ8znx6OT07wo4nq/B"
                + "4KmT/EEwCoAIKoZIzj0EAwIDSAAwRQIhAKF/13CPOraUnNYeOxvV15qf5WZelgKJZkAnLs54hfWLAiAUgyPpAV9zlwN2XlF6VUW2"
                + "tCAzKRA+f5jAqsXs1duABgAAMYIBMTCCAS0CAQEwMTAsMR0wGwYDVQQDDBRGdXp6IFJBIE9yZGVyIFNpZ25lcjELMAkGA1UEBhMC"
                + "SlACAQEwCwYJYIZIAWUDBAIBoIGTMBgGCSqGSIb3DQEJAzELBgkqhkiG9w0BBwEwHAYJKoZIhvcNAQkFMQ8XDTI2MTIwMzE3MDOA"
                + "MlowKAYJKoZIhvcNAQk0MRswGTALBglghkgBZQMEAgGhCgYIKoZIzj0EAwIwLwYJKoZIhvcNAQkEMSIEIFLncGtZvyBFnwzI0Xvz"
                + "xnM3iljnTnX2zuUUBilqwiIOMAoGCCqGSM49BAMCBEYwRAIgZaWNxhOZDWIWWknNCz9fVBjV2tpww8Ey4QihsODL50UCIC9SOcCK"
                + "L/P0L007zNBHvKipoYhTRNGEue6lgBgeP8b6AAAAAAAA");
        assertThatThrownBy(() -> verifier.verify(input, Instant.now()))
                .isInstanceOf(OrderBundleException.class).hasMessageContaining("certificates field is malformed");
        // A signerInfo whose signer name is not UTF-8 failed likewise, when the signerInfos were first read.
        byte[] badSignerInfo = Base64.getDecoder().decode("MIAGCSqGSIb3DQEHAqCAMIACAQExDTALBglghkgBZQMEAgEwgAYJKoZIhvcNAQcBoIAkgASCAld7ImZvcm1hdCI6InNob21laS1v"
                + "cmRlci1idW5kbGUvdjEiLCJidW5kbGVJZCI6ImJ1bmRsZS0yIiwiY3JlYXRlZEF0IjoiMjAyNi0xMi0wM1QxNDowMDowMFoiLCJv"
                + "cmRlc3MiOlt7Im9yZGVySWQiOiJhcPAtMiIsInR5cGUiOiJpc3N1ZSIsInByb2ZpbGUiOiJzdWJzY3JpYmVyLXNpZ25hdHVyZSIs"
                + "ImNzciI6Ik1JSGpNSUdKQWdFQU1DY3hHREFXQmdOVkJBTU1EMFoxZW5vZ1UzVmljMk55YVdKbGNqRUxNQWtHQTFVRUJoTUNTbEF3"
                + "V1RBVEJnY3Foa2pPUFFJQkJnZ3Foa2pPUFFNQkJ3TkNBQVIwMzVvVzhEQ092Y1daS2VpeW9tMzdpTHVGWGw0QmlNekxEYUg1djdR"
                + "RHphS2c1eHlzRitSWjlaVVpYUDNRWHBuLzFYL3VSMjRhWVpEdDZGdWRzUWtZb0FBd0NnWUlLb1pJemowRUF3SURTUUF3UmdJaEFN"
                + "MUxVajl6VmFLT2RHOTNJdDVVbDRvTDBIbDlhQkxxTlNGeGRYS2xkTDh6QWlFQXc4VEhDcW5ELXNaN0FJNHpMOW5zOWtqZ1hCaGhC"
                + "QW5tT1pvUHNGMnRhajA9IiwiZGVjaXNpb24iOnsiaWQiOiJkZWNpc2lvbi1hcHAtMiIsInNoYTI1NiI6ImFiYWJhYmFiYWJhYmFi"
                + "YWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWIifX1dfQAAAAAAAKCAMIIBRDCB66ADAgEC"
                + "AgEBMAoGCCqGSM49BAMCMCwxHTAbBgNVBAMMFEZ1enogUkEgT3JkZXIgU2lnbmVyMQswCQYDVQQGEwJKUDAeFw0yNjEyMDMxNzA0"
                + "NDRaFw0yNzAxMDIxNzA1NDRaMCwxHTAbBgNVBAMMFEZ1enogUkEgT3JkZXIgU2lnbmVyMQswCQYDVQQGEwJKUDBZMBMGByqGSM49"
                + "AgEGCCqGSM49AwEHA0IABItPTcOHmFFnU3783ee6iK1+nhT1/pzA2JB2tP7jVs1lwUsgJxgSjtLRsi2R8ASi501zxyCOATLcoItS"
                + "Uw+hJHgwCgYIKoZIzj0EAwIDSAAwRQIgZY92Ff7uiZ/Qle4kqJ/LQcKXf4Z0wnmcH7AHsJ3xNKcCIQCIEY2OwZSa46GA2uzHJy6C"
                + "xgaTjx+WtXheo1gJaOOP8AAAMYIBMjCCAS4CAQEwMTAsMR0wGwYDVQQDDBRGdXp6IFJBIE9yZGWAIFNpZ25lcjELMAkGA1UEBhMC"
                + "SlACAQEwCwYJYIZIAWUDBAIBoIGTMBgGCSqGSIb3DQEJAzELBgkqhkiG9w0BBwEwHAYJKoZIhvcNAQkFMQ8XDTI2MTIwMzE3MDU0"
                + "NFowKAYJKoZIhvcNAQk0MRswGTALBglghkgBZQMEAgGhCgYIKoZIzj0EAwIwLwYJKoZIhvcNAQkEMSIEICuF6ZMzUB2RsDFjRKAn"
                + "mVzJ4qsVJkqrKpfmskrFL6akMAoGCCqGSM49BAMCBEcwRQIgE181eaVng5vIrA9ISfQzH8DfHUKt5qZMq9UpRKBQvioCIQC3OUDX"
                + "9m8IXO7AbElb7ss3UCdC+WKsh/BWycW24kfniwAAAAAAAA==");
        assertThatThrownBy(() -> verifier.verify(badSignerInfo, Instant.now()))
                .isInstanceOf(OrderBundleException.class).hasMessageContaining("signerInfos field is malformed");
    }
}
