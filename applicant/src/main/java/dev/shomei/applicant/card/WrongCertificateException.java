package dev.shomei.applicant.card;

/**
 * The token holds no certificate the RA would accept as an application signature, typically the card's
 * user-authentication certificate (利用者証明用電子証明書) where the signing certificate (署名用電子証明書) was meant.
 * Raised before anything is signed.
 *
 * <p>Zone: the applicant's PC. Plain value.
 */
public class WrongCertificateException extends Exception {

    public WrongCertificateException(String message) {
        super(message);
    }
}
