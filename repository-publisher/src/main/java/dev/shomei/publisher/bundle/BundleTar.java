package dev.shomei.publisher.bundle;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads a bundle handed over as a {@code .tar} of the bundle directory (POSIX ustar, with the GNU long-name and
 * pax path extensions GNU tar writes). Regular files are kept; directories are implied; links and devices are
 * reported so the verifier refuses them. A single top-level directory (a tar of {@code bundle/}) is stripped.
 *
 * <p>Online zone; reads the tar file only, never extracts it to disk.
 */
final class BundleTar {

    private static final int BLOCK = 512;
    /** Far above any bundle; a bigger entry is not one and must not be buffered. */
    private static final long MAX_ENTRY = 1L << 30;

    record Entries(Map<String, byte[]> files, List<String> nonRegular) { }

    private BundleTar() {
    }

    static Entries read(Path tar) throws IOException {
        Map<String, byte[]> files = new TreeMap<>();
        List<String> nonRegular = new ArrayList<>();
        try (InputStream in = new BufferedInputStream(Files.newInputStream(tar))) {
            byte[] header = new byte[BLOCK];
            String pendingName = null;
            while (true) {
                if (in.readNBytes(header, 0, BLOCK) < BLOCK) {
                    throw new IOException(tar + " is truncated (a tar header is cut short)");
                }
                if (allZero(header)) {
                    break;   // end-of-archive marker
                }
                String name = text(header, 0, 100);
                if ("ustar".equals(text(header, 257, 5)) && !text(header, 345, 155).isEmpty()) {
                    name = text(header, 345, 155) + "/" + name;
                }
                long size = octal(header, 124, 12, tar);
                if (size < 0 || size > MAX_ENTRY) {
                    throw new IOException(tar + ": entry '" + name + "' has an impossible size " + size);
                }
                byte type = header[156];
                byte[] data = in.readNBytes((int) size);
                if (data.length < size) {
                    throw new IOException(tar + " is truncated inside '" + name + "'");
                }
                in.skipNBytes((BLOCK - size % BLOCK) % BLOCK);
                switch (type) {
                    case 'L' -> pendingName = new String(data, StandardCharsets.UTF_8).replace("\0", "");
                    case 'x' -> pendingName = paxPath(data, pendingName);
                    case 'g' -> { /* global pax header: nothing a bundle needs */ }
                    default -> {
                        if (pendingName != null) {
                            name = pendingName;
                            pendingName = null;
                        }
                        name = name.startsWith("./") ? name.substring(2) : name;
                        if (type == '5' || name.isEmpty() || name.equals(".") || name.endsWith("/")) {
                            continue;   // directory
                        }
                        if (type == '0' || type == 0) {
                            files.put(name, data);
                        } else {
                            nonRegular.add(name);
                        }
                    }
                }
            }
        }
        return stripTopDirectory(files, nonRegular);
    }

    /** A tar of "bundle/" holds "bundle/manifest.json": the bundle root is that directory. */
    private static Entries stripTopDirectory(Map<String, byte[]> files, List<String> nonRegular) {
        if (files.containsKey(PublicationBundle.MANIFEST)) {
            return new Entries(files, nonRegular);
        }
        String top = files.keySet().stream().filter(n -> n.endsWith("/" + PublicationBundle.MANIFEST)
                && n.indexOf('/') == n.length() - PublicationBundle.MANIFEST.length() - 1).findFirst()
                .map(n -> n.substring(0, n.indexOf('/') + 1)).orElse(null);
        if (top == null || !files.keySet().stream().allMatch(n -> n.startsWith(top))
                || !nonRegular.stream().allMatch(n -> n.startsWith(top))) {
            return new Entries(files, nonRegular);
        }
        Map<String, byte[]> stripped = new TreeMap<>();
        files.forEach((n, d) -> stripped.put(n.substring(top.length()), d));
        return new Entries(stripped, nonRegular.stream().map(n -> n.substring(top.length())).toList());
    }

    /** pax extended header records: "<len> path=<value>\n". */
    private static String paxPath(byte[] data, String current) {
        for (String record : new String(data, StandardCharsets.UTF_8).split("\n")) {
            int sp = record.indexOf(' ');
            if (sp > 0 && record.startsWith("path=", sp + 1)) {
                return record.substring(sp + 1 + "path=".length());
            }
        }
        return current;
    }

    private static String text(byte[] b, int offset, int length) {
        int end = offset;
        while (end < offset + length && b[end] != 0) {
            end++;
        }
        return new String(b, offset, end - offset, StandardCharsets.UTF_8);
    }

    private static long octal(byte[] b, int offset, int length, Path tar) throws IOException {
        String s = text(b, offset, length).trim();
        try {
            return s.isEmpty() ? 0 : Long.parseLong(s, 8);
        } catch (NumberFormatException e) {
            throw new IOException(tar + " is not a tar file (size field '" + s + "')", e);
        }
    }

    private static boolean allZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }
}
