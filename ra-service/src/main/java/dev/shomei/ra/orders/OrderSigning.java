package dev.shomei.ra.orders;

import dev.shomei.ra.ConfiguredFile;
import dev.shomei.ra.RaConfig;
import dev.shomei.ra.problem.RaProblem;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;

/**
 * The order-signing key and the issuing CA certificates, loaded at start-up so that a wrong PIN, label or file
 * stops the service before it takes requests.
 *
 * <p>Zone: online (ra-service). Reads configuration files and the HSM token; no writes.
 */
@io.quarkus.runtime.Startup
@ApplicationScoped
public class OrderSigning {

    private final Optional<OrderSigner> signer;
    private final List<X509Certificate> caCertificates;
    private final ResultBundleSignature resultSignature;

    @Inject
    public OrderSigning(RaConfig config) {
        this.signer = config.orders().signing().map(Pkcs11OrderSigner::new);
        this.caCertificates = config.orders().caCertificates().orElse(List.of()).stream()
                .map(p -> ConfiguredFile.certificate("ra.orders.ca-certificates", p)).toList();
        this.resultSignature = new ResultBundleSignature(caCertificates, config.orders().resultSignerCertificates()
                .orElse(List.of()).stream()
                .map(p -> ConfiguredFile.certificate("ra.orders.result-signer-certificates", p)).toList(),
                config.orders().rootCertificates().map(r -> !r.isEmpty()).orElse(false));
    }

    /** Who may sign result bundles: the pinned result signers, or (unpinned) a result signer of a configured CA. */
    public ResultBundleSignature resultSignature() {
        return resultSignature;
    }

    public OrderSigner signer() {
        return signer.orElseThrow(() -> new RaProblem(503, "order-signing-not-configured",
                "Order signing not configured", "ra.orders.signing.* is not set, so no order bundle can be signed;"
                        + " configure the HSM module, token, PIN file and key label"));
    }

    /**
     * The configured issuing CA certificates ({@code ra.orders.ca-certificates}); with the generations taken from
     * result bundles, {@link CaGenerations#all()} is what the RA trusts.
     */
    public List<X509Certificate> caCertificates() {
        return caCertificates;
    }
}
