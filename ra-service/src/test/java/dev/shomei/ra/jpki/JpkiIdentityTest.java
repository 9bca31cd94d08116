package dev.shomei.ra.jpki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shomei.ra.testkit.JpkiPerson;
import dev.shomei.ra.testkit.JpkiTestCa;
import dev.shomei.ra.testkit.SimulatedCard;
import java.security.KeyPair;
import java.security.cert.CertificateParsingException;
import org.junit.jupiter.api.Test;

/** The holder's identity read from subjectAltName otherNames 1.2.392.200149.8.5.5.1-6. */
class JpkiIdentityTest {

    static final KeyPair KEY = SimulatedCard.rsaKey();

    @Test
    void readsEveryOtherName() throws Exception {
        JpkiPerson p = JpkiPerson.hanako();
        JpkiIdentity id = JpkiIdentity.from(JpkiTestCa.signing(JpkiTestCa.GEN_2024, KEY.getPublic(), p));
        assertThat(id.name()).isEqualTo("試験\u3000花子");
        assertThat(id.gender()).isEqualTo("2");
        assertThat(id.birthDate()).isEqualTo("319850412");
        assertThat(id.address()).isEqualTo(p.address());
        assertThat(id.nameHasSubstitutes()).isFalse();
        assertThat(id.toString()).doesNotContain("花子").isEqualTo("JpkiIdentity[redacted]");
    }

    @Test
    void aSubstituteCharacterFlagInTheNameOrAddressIsReported() {
        // One flag per character, '0' meaning the character is as registered (JPKI.md): a mismatch with the
        // claimed identity may then be benign, so an officer is told.
        JpkiIdentity flagged = new JpkiIdentity("試験\u3000花子", "0010", "2", "319850412", "東京都", "0001");
        assertThat(flagged.nameHasSubstitutes()).isTrue();
        assertThat(flagged.addressHasSubstitutes()).isTrue();
        JpkiIdentity plain = new JpkiIdentity("試験\u3000花子", "0000", "2", "319850412", "東京都", "0000");
        assertThat(plain.nameHasSubstitutes()).isFalse();
        assertThat(plain.addressHasSubstitutes()).isFalse();
        assertThat(new JpkiIdentity("n", null, "2", "319850412", "a", null).nameHasSubstitutes()).isFalse();
        assertThat(new JpkiIdentity("n", null, "2", "319850412", "a", null).addressHasSubstitutes()).isFalse();
    }

    @Test
    void anAuthenticationCertificateHasNoIdentity() {
        assertThatThrownBy(() -> JpkiIdentity.from(JpkiTestCa.authentication(KEY.getPublic())))
                .isInstanceOf(CertificateParsingException.class).hasMessageContaining("subjectAltName");
    }
}
