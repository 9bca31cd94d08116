package dev.shomei.ca.orders;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.Test;

/**
 * The order bundle's content ({@link OrderBundle#parse}) at its limits, in memory: ids at and past their length and
 * character limits, and the subject an issue order states, absent, malformed and given. (Mutation testing showed
 * these limits untested; docs/testing.md.)
 *
 * <p>Zone: tests only (secure-zone code, in memory).
 */
class OrderBundleContentTest {

    static byte[] csr() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        var kp = g.generateKeyPair();
        return new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=x"), kp.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(kp.getPrivate())).getEncoded();
    }

    @Test
    void idsAreAtMost128PrintableAsciiCharactersWithoutSpaces() throws Exception {
        byte[] csr = csr();
        String longest = "a".repeat(OrderBundle.MAX_ID_LENGTH);
        assertThat(OrderBundle.parse(OrderBundleFuzzTest.bundle(longest,
                OrderBundleFuzzTest.issue("!~" + "b".repeat(OrderBundle.MAX_ID_LENGTH - 2), csr, true))).bundleId())
                .isEqualTo(longest);
        for (String bad : new String[] {longest + "a", "with space", "tab\tid", "del\u007fid", "ü"}) {
            assertThatThrownBy(() -> OrderBundle.parse(OrderBundleFuzzTest.bundle(bad,
                    OrderBundleFuzzTest.issue("app-1", csr, true)))).as(bad)
                    .isInstanceOf(OrderBundleException.class).hasMessageContaining("bundleId must be at most 128");
        }
    }

    @Test
    void theSubjectIsAbsentOrANonEmptyArrayOfTypesAndValues() throws Exception {
        byte[] csr = csr();
        OrderBundle withSubject = OrderBundle.parse(OrderBundleFuzzTest.bundle("b-1",
                OrderBundleFuzzTest.issue("app-1", csr, true)));
        assertThat(withSubject.orders()).singleElement().satisfies(o -> {
            assertThat(o.subject()).extracting(a -> a.type() + "=" + a.value()).containsExactly("C=JP", "CN=山田 太郎");
        });
        OrderBundle without = OrderBundle.parse(OrderBundleFuzzTest.bundle("b-2",
                OrderBundleFuzzTest.issue("app-2", csr, false)));
        assertThat(without.orders()).singleElement().satisfies(o -> assertThat(o.subject()).isNull());

        ObjectNode empty = OrderBundleFuzzTest.issue("app-3", csr, false);
        empty.putArray("subject");
        ObjectNode notArray = OrderBundleFuzzTest.issue("app-4", csr, false);
        notArray.put("subject", "CN=x");
        OrderBundle refused = OrderBundle.parse(OrderBundleFuzzTest.bundle("b-3", empty, notArray));
        assertThat(refused.orders()).isEmpty();
        assertThat(refused.invalid()).extracting(OrderBundle.Invalid::reason)
                .allSatisfy(r -> assertThat(r).contains("field 'subject' must be a non-empty array"));
        assertThat(refused.invalid()).hasSize(2);
    }
}
