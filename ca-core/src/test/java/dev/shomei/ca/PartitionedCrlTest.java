package dev.shomei.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shomei.ca.crl.CrlIssuer;
import dev.shomei.ca.issuance.RevocationReason;
import dev.shomei.ca.profile.ProfileExtensions;
import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertStore;
import java.security.cert.CertificateFactory;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.IssuingDistributionPoint;
import org.junit.jupiter.api.Test;

/**
 * Partitioned CRLs with a small shard count (the 10-million-certificate run is CaBenchmarkTest's): each certificate
 * names its shard in its CRL distribution point, each shard CRL lists exactly the revoked certificates of its shard
 * under an issuingDistributionPoint with that same URL, {@code openssl crl} verifies every shard and the full CRL,
 * and the JDK's PKIX validator, given only the shard the certificate names, finds a revoked certificate revoked and a
 * good one good (which it does only if the shard's scope covers the certificate: RFC 5280 §6.3.3).
 */
class PartitionedCrlTest {

    static final int SHARDS = 4;
    static final String CRL_URL = "http://repo.test/crl/issuing-test.crl";

    @Test
    void everyCertificateIsOnTheShardItsDistributionPointNames() throws Exception {
        try (CaFixture f = CaFixture.create("crlshards", "EC-P256", "EC-P256")) {
            setShards(f, SHARDS);
            CertificateAuthority ca = f.ceremony();
            X509Certificate issuing = ca.issuingSigner().certificate();
            List<X509Certificate> issued = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                issued.add(ca.issuer().issue(null, CaFixture.csr("CN=Shard " + i + ",C=JP",
                        CaFixture.ecKey("secp256r1")), "subscriber-signature").certificate());
            }
            // Step 1: the shard is fixed at issuance and named in the certificate.
            for (X509Certificate c : issued) {
                int shard = c.getSerialNumber().mod(BigInteger.valueOf(SHARDS)).intValue();
                assertThat(distributionPoint(c)).isEqualTo("http://repo.test/crl/issuing-test/" + shard + ".crl")
                        .isEqualTo(ProfileExtensions.crlUrl(CRL_URL, shard));
            }
            Set<BigInteger> revoked = new HashSet<>();
            for (int i = 0; i < issued.size(); i += 3) {
                X509Certificate c = issued.get(i);
                ca.issuer().revoke(c.getSerialNumber().toString(16), RevocationReason.KEY_COMPROMISE, "test");
                revoked.add(c.getSerialNumber());
            }
            // Bulk revoked rows, spread over the shards by their serials: about 80 KB per shard, more than one 64 KiB
            // chunk, so the shards' entries go through their files (StreamingCrlEncoder.spillTo).
            try (Connection c = f.db.connect(); Statement st = c.createStatement()) {
                st.execute("INSERT INTO certificate (serial, issuer_label, request_id, profile, subject, public_key_sha256,"
                        + " not_before, not_after, der) SELECT to_hex(1000000000000 + i), 'issuing-test', 'bulk-' || i,"
                        + " 'subscriber-signature', 'CN=Bulk', md5(i::text), now() - interval '1 day',"
                        + " now() + interval '300 days', '\\x00'::bytea FROM generate_series(1, 8000) i");
                st.execute("INSERT INTO revocation (serial, revoked_at, reason, requested_by) SELECT"
                        + " to_hex(1000000000000 + i), now() - interval '1 hour', 1, 'bulk' FROM generate_series(1, 8000) i");
            }
            for (int i = 1; i <= 8000; i++) {
                revoked.add(BigInteger.valueOf(1_000_000_000_000L + i));
            }

            // Step 2: one run signs the full CRL and every shard, with one number.
            CrlIssuer.IssuedCrl crl = ca.crlIssuer().issue();
            assertThat(crl.record().entries()).isEqualTo(revoked.size());
            assertThat(crl.shards()).hasSize(SHARDS);
            Files.copy(crl.file(), f.dir.resolve("full.crl"));
            assertThat(openssl(f, "full.crl")).contains("verify OK");

            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            Map<Integer, X509CRL> shardCrls = new HashMap<>();
            int listedInShards = 0;
            for (CrlIssuer.ShardCrl s : crl.shards()) {
                assertThat(s.url()).isEqualTo(ProfileExtensions.crlUrl(CRL_URL, s.shard()));
                X509CRL x = (X509CRL) cf.generateCRL(new ByteArrayInputStream(s.der()));
                x.verify(issuing.getPublicKey());
                shardCrls.put(s.shard(), x);
                // The issuingDistributionPoint is critical and names the shard's URL (RFC 5280 §5.2.5).
                assertThat(x.getCriticalExtensionOIDs()).contains(Extension.issuingDistributionPoint.getId());
                IssuingDistributionPoint idp = IssuingDistributionPoint.getInstance(ASN1OctetString.getInstance(
                        x.getExtensionValue(Extension.issuingDistributionPoint.getId())).getOctets());
                assertThat(uri(GeneralNames.getInstance(idp.getDistributionPoint().getName()))).isEqualTo(s.url());
                assertThat(x.getExtensionValue(Extension.cRLNumber.getId()))
                        .isEqualTo(cf.generateCRL(Files.newInputStream(crl.file())) instanceof X509CRL full
                                ? full.getExtensionValue(Extension.cRLNumber.getId()) : null);
                // Exactly the revoked certificates of this shard.
                Set<BigInteger> listed = new HashSet<>();
                x.getRevokedCertificates().forEach(e -> listed.add(e.getSerialNumber()));
                assertThat(listed).isEqualTo(revoked.stream()
                        .filter(r -> r.mod(BigInteger.valueOf(SHARDS)).intValue() == s.shard())
                        .collect(java.util.stream.Collectors.toSet()));
                assertThat(s.entries()).isEqualTo(listed.size());
                listedInShards += listed.size();
                Files.write(f.dir.resolve("shard-" + s.shard() + ".crl"), s.der());
                String text = openssl(f, "shard-" + s.shard() + ".crl");
                assertThat(text).contains("verify OK", "X509v3 Issuing Distribution Point: critical", s.url());
            }
            assertThat(listedInShards).isEqualTo(revoked.size());
            try (Connection c = f.db.connect()) {
                assertThat(new dev.shomei.ca.store.CertificateStore().crlShardDer(c, "issuing-test",
                        crl.record().number(), 2)).hasValueSatisfying(der -> assertThat(der).isEqualTo(
                                crl.shards().get(2).der()));
            }

            // Step 3: the JDK's PKIX, given the root, the issuing CA and only the shard the certificate names.
            X509Certificate root = (X509Certificate) cf.generateCertificate(
                    Files.newInputStream(f.dir.resolve("ceremony/root-ca.pem")));
            for (X509Certificate c : issued) {
                X509CRL shard = shardCrls.get(c.getSerialNumber().mod(BigInteger.valueOf(SHARDS)).intValue());
                if (revoked.contains(c.getSerialNumber())) {
                    assertThatThrownBy(() -> pkix(cf, c, issuing, root, shard))
                            .isInstanceOf(CertPathValidatorException.class)
                            .satisfies(e -> assertThat(((CertPathValidatorException) e).getReason())
                                    .isEqualTo(CertPathValidatorException.BasicReason.REVOKED));
                } else {
                    pkix(cf, c, issuing, root, shard);
                }
            }
            // Another shard's CRL does not cover the certificate: PKIX cannot tell its status from it.
            X509Certificate good = issued.get(1);
            int wrong = (good.getSerialNumber().mod(BigInteger.valueOf(SHARDS)).intValue() + 1) % SHARDS;
            assertThatThrownBy(() -> pkix(cf, good, issuing, root, shardCrls.get(wrong)))
                    .isInstanceOf(CertPathValidatorException.class);

            // Step 4: the shard count is fixed for the issuing key.
            setShards(f, SHARDS + 1);
            CertificateAuthority changed = f.open();
            assertThatThrownBy(() -> changed.crlIssuer().issue()).hasMessageContaining(
                    "crl.shards is 5 but the previous CRLs of issuing-test were partitioned into 4 shards");
        }
    }

    static void setShards(CaFixture f, int shards) throws Exception {
        String yaml = Files.readString(f.configFile, StandardCharsets.UTF_8)
                .replaceAll("(?m)^  shards: \\d+\\n", "");
        Files.writeString(f.configFile, yaml.replace("  nextUpdateHours: 24\n",
                "  nextUpdateHours: 24\n  shards: " + shards + "\n"), StandardCharsets.UTF_8);
    }

    static String distributionPoint(X509Certificate c) {
        CRLDistPoint cdp = CRLDistPoint.getInstance(ASN1OctetString.getInstance(
                c.getExtensionValue(Extension.cRLDistributionPoints.getId())).getOctets());
        assertThat(cdp.getDistributionPoints()).hasSize(1);
        return uri(GeneralNames.getInstance(cdp.getDistributionPoints()[0].getDistributionPoint().getName()));
    }

    static String uri(GeneralNames names) {
        assertThat(names.getNames()).hasSize(1);
        GeneralName n = names.getNames()[0];
        assertThat(n.getTagNo()).isEqualTo(GeneralName.uniformResourceIdentifier);
        return n.getName().toString();
    }

    static String openssl(CaFixture f, String file) throws Exception {
        ExternalVerifiers.Run r = ExternalVerifiers.openssl(f.dir, "crl", "-inform", "DER", "-in", file,
                "-CAfile", "ceremony/issuing-ca.pem", "-noout", "-text");
        assertThat(r.exit()).as(r.output()).isZero();
        return r.output();
    }

    /** PKIX path validation with CRL checking from the given CRL only (no OCSP, no fetching). */
    static void pkix(CertificateFactory cf, X509Certificate leaf, X509Certificate issuing, X509Certificate root,
                     X509CRL crl) throws Exception {
        PKIXParameters p = new PKIXParameters(Set.of(new TrustAnchor(root, null)));
        p.setRevocationEnabled(true);
        p.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(List.of(crl))));
        // The issuing CA's own status would need the root's CRL: check the leaf only.
        var checker = (java.security.cert.PKIXRevocationChecker) CertPathValidator.getInstance("PKIX").getRevocationChecker();
        checker.setOptions(Set.of(java.security.cert.PKIXRevocationChecker.Option.PREFER_CRLS,
                java.security.cert.PKIXRevocationChecker.Option.NO_FALLBACK,
                java.security.cert.PKIXRevocationChecker.Option.ONLY_END_ENTITY));
        p.addCertPathChecker(checker);
        CertPathValidator.getInstance("PKIX").validate(cf.generateCertPath(List.of(leaf, issuing)), p);
    }
}
