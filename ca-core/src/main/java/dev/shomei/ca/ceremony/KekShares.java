package dev.shomei.ca.ceremony;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Splits a key-encryption key into N shares of which any M recover it (Shamir's secret sharing over GF(2^8), the
 * field of AES with the polynomial x^8 + x^4 + x^3 + x + 1), so that no custodian alone can unwrap a CA key backup
 * (CP/CPS 6.2.2: multi-person control of private key backup). Fewer than M shares say nothing about the key.
 *
 * <p>Zone: secure, in the CA room. Pure; the caller clears the key after use.
 */
public final class KekShares {

    /** One custodian's share: its x coordinate (1..255) and one y byte per key byte. */
    public record Share(int index, byte[] value) {}

    private KekShares() {}

    public static List<Share> split(byte[] secret, int n, int m, SecureRandom random) {
        if (m < 2 || m > n || n > 255) {
            throw new IllegalArgumentException("a backup needs 2 <= threshold <= custodians <= 255; got threshold " + m
                    + " of " + n + " custodians");
        }
        byte[][] coefficients = new byte[secret.length][m];
        for (int b = 0; b < secret.length; b++) {
            random.nextBytes(coefficients[b]);
            coefficients[b][0] = secret[b];
        }
        List<Share> shares = new ArrayList<>();
        for (int x = 1; x <= n; x++) {
            byte[] y = new byte[secret.length];
            for (int b = 0; b < secret.length; b++) {
                int acc = 0;
                for (int k = m - 1; k >= 0; k--) { // Horner
                    acc = mul(acc, x) ^ (coefficients[b][k] & 0xff);
                }
                y[b] = (byte) acc;
            }
            shares.add(new Share(x, y));
        }
        for (byte[] c : coefficients) {
            java.util.Arrays.fill(c, (byte) 0);
        }
        return shares;
    }

    /** Lagrange interpolation at 0 from any {@code m} distinct shares. */
    public static byte[] combine(List<Share> shares) {
        Set<Integer> xs = new HashSet<>();
        for (Share s : shares) {
            if (s.index() < 1 || s.index() > 255 || !xs.add(s.index())) {
                throw new IllegalArgumentException("share " + s.index() + " is given twice or is not a share index");
            }
        }
        int len = shares.get(0).value().length;
        byte[] out = new byte[len];
        for (int b = 0; b < len; b++) {
            int acc = 0;
            for (Share i : shares) {
                int num = 1;
                int den = 1;
                for (Share j : shares) {
                    if (j != i) {
                        num = mul(num, j.index());
                        den = mul(den, i.index() ^ j.index());
                    }
                }
                acc ^= mul(i.value()[b] & 0xff, mul(num, inverse(den)));
            }
            out[b] = (byte) acc;
        }
        return out;
    }

    static int mul(int a, int b) {
        int p = 0;
        while (b != 0) {
            if ((b & 1) != 0) {
                p ^= a;
            }
            a <<= 1;
            if ((a & 0x100) != 0) {
                a ^= 0x11B;
            }
            b >>= 1;
        }
        return p;
    }

    static int inverse(int a) {
        // a^254 = a^-1 in GF(2^8)
        int r = 1;
        for (int i = 0; i < 254; i++) {
            r = mul(r, a);
        }
        return r;
    }
}
