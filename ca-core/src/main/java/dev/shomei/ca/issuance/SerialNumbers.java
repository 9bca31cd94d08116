package dev.shomei.ca.issuance;

import java.math.BigInteger;
import java.security.SecureRandom;

/**
 * Certificate serial numbers: 127 bits from a CSPRNG, positive, at most 16 octets in DER (RFC 5280
 * §4.1.2.2 allows 20). Uniqueness is enforced by the database's primary key, not assumed.
 */
public final class SerialNumbers {
    private static final SecureRandom RANDOM = new SecureRandom();

    private SerialNumbers() {}

    public static BigInteger random() {
        byte[] b = new byte[16];
        BigInteger serial;
        do {
            RANDOM.nextBytes(b);
            b[0] &= 0x7f; // positive without a leading zero octet
            serial = new BigInteger(1, b);
        } while (serial.bitLength() < 120); // keep well above the 64-bit floor the lint enforces
        return serial;
    }
}
