package dev.shomei.pkcs11;

/**
 * A failure reaching or using the HSM: missing module, missing token, wrong PIN, missing key, or a
 * signing failure that recovery could not mend. The message names the module, token or key concerned
 * and never contains a PIN.
 */
public class HsmException extends RuntimeException {
    public HsmException(String message) {
        super(message);
    }

    public HsmException(String message, Throwable cause) {
        super(message, cause);
    }
}
