package dev.shomei.publisher.bundle;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads a bundle handed over as a {@code .tar} of the bundle directory (POSIX ustar, with the GNU long-name and
 * pax path extensions GNU tar writes) as a stream of entries: one header at a time, its data read or skipped, so a
 * tar of millions of responses is never held whole. Regular files are reported as such; directories are implied;
 * links and devices are reported so the verifier refuses them.
 *
 * <p>Online zone; reads the tar file only, never extracts it to disk.
 */
final class BundleTar implements AutoCloseable {

    private static final int BLOCK = 512;
    /** Far above any artifact; a bigger entry is not one and must not be buffered. */
    static final long MAX_ENTRY = 1L << 30;
    /** manifest.json is streamed, not buffered: it may be as large as the bundle's listing (~300 bytes an artifact). */
    static final long MAX_MANIFEST = 1L << 40;

    /** One entry: its name as written (before any top directory is stripped), kind, size and data offset. */
    record Header(String name, boolean regular, boolean directory, long size, long dataOffset) { }

    private final Path tar;
    private final InputStream in;
    private long position;
    private Header current;
    private boolean dataConsumed = true;

    BundleTar(Path tar) throws IOException {
        this.tar = tar;
        this.in = new BufferedInputStream(Files.newInputStream(tar), 1 << 16);
    }

    /** The next entry, or null at the end-of-archive marker. The previous entry's data is skipped if not read. */
    Header next() throws IOException {
        finishCurrent();
        byte[] header = new byte[BLOCK];
        String pendingName = null;
        long pendingSize = -1;
        while (true) {
            if (in.readNBytes(header, 0, BLOCK) < BLOCK) {
                throw new IOException(tar + " is truncated (a tar header is cut short)");
            }
            position += BLOCK;
            if (allZero(header)) {
                return null;   // end-of-archive marker
            }
            String name = text(header, 0, 100);
            if ("ustar".equals(text(header, 257, 5)) && !text(header, 345, 155).isEmpty()) {
                name = text(header, 345, 155) + "/" + name;
            }
            long size = octal(header, 124, 12);
            byte type = header[156];
            if (type == 'L' || type == 'x' || type == 'g') {
                if (size < 0 || size > (1 << 20)) {
                    throw new IOException(tar + ": extended header before '" + name + "' has an impossible size " + size);
                }
                byte[] data = readExactly(size, name);
                skipPadding(size);
                if (type == 'L') {
                    pendingName = new String(data, StandardCharsets.UTF_8).replace("\0", "");
                } else if (type == 'x') {
                    pendingName = pax(data, "path", pendingName);
                    // An entry of 8 GiB or more (the manifest of ~25M artifacts) has its size here (POSIX pax).
                    String paxSize = pax(data, "size", null);
                    if (paxSize != null) {
                        try {
                            pendingSize = Long.parseLong(paxSize);
                        } catch (NumberFormatException e) {
                            throw new IOException(tar + ": a pax header gives the size '" + paxSize + "'", e);
                        }
                    }
                }
                continue;
            }
            if (pendingName != null) {
                name = pendingName;
            }
            if (pendingSize >= 0) {
                size = pendingSize;
            }
            name = name.startsWith("./") ? name.substring(2) : name;
            if (size < 0) {
                throw new IOException(tar + ": entry '" + name + "' has an impossible size " + size);
            }
            boolean directory = type == '5' || name.isEmpty() || name.equals(".") || name.endsWith("/");
            current = new Header(name, !directory && (type == '0' || type == 0), directory, size, position);
            dataConsumed = false;
            return current;
        }
    }

    /** The current entry's data, whole; only for entries up to {@code limit} bytes. */
    byte[] read(long limit) throws IOException {
        if (current.size() > limit) {
            throw new IOException(tar + ": entry '" + current.name() + "' has an impossible size " + current.size());
        }
        byte[] data = readExactly(current.size(), current.name());
        skipPadding(current.size());
        dataConsumed = true;
        return data;
    }

    private void finishCurrent() throws IOException {
        if (!dataConsumed) {
            long skip = current.size() + (BLOCK - current.size() % BLOCK) % BLOCK;
            try {
                in.skipNBytes(skip);
            } catch (EOFException e) {
                throw new IOException(tar + " is truncated inside '" + current.name() + "'", e);
            }
            position += skip;
            dataConsumed = true;
        }
    }

    private byte[] readExactly(long size, String name) throws IOException {
        byte[] data = in.readNBytes((int) size);
        if (data.length < size) {
            throw new IOException(tar + " is truncated inside '" + name + "'");
        }
        position += size;
        return data;
    }

    private void skipPadding(long size) throws IOException {
        long pad = (BLOCK - size % BLOCK) % BLOCK;
        try {
            in.skipNBytes(pad);
        } catch (EOFException e) {
            throw new IOException(tar + " is truncated (padding cut short)", e);
        }
        position += pad;
    }

    /** Bytes of the tar read or skipped so far. */
    long position() {
        return position;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }

    /** A pax extended header record "<len> <key>=<value>\n", or {@code current} if there is none. */
    private static String pax(byte[] data, String key, String current) {
        for (String record : new String(data, StandardCharsets.UTF_8).split("\n")) {
            int sp = record.indexOf(' ');
            if (sp > 0 && record.startsWith(key + "=", sp + 1)) {
                return record.substring(sp + 1 + key.length() + 1);
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

    private long octal(byte[] b, int offset, int length) throws IOException {
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
