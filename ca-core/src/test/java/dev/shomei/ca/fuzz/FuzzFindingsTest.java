package dev.shomei.ca.fuzz;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shomei.ca.hsm.KeyAlgorithm;
import dev.shomei.ca.issuance.Csr;
import dev.shomei.ca.issuance.CsrException;
import java.util.Base64;
import java.util.EnumSet;
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
}
