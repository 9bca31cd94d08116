package dev.shomei.ra.testkit;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A small SMTP server (RFC 5321: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT; no TLS, no AUTH) on 127.0.0.1, started
 * by the tests that check notices, so that the RA really sends over SMTP. Each accepted message is written to a spool
 * directory as {@code <n>.eml} (envelope recipients on the first line): the test reads the files, which works across
 * Quarkus' class loaders. A file {@code fail-next} holding a number makes the server answer that many MAIL commands
 * with 451 (a mail server in trouble).
 *
 * <p>Zone: tests only. Listens on loopback only; every socket read has a timeout.
 */
public final class LoopbackSmtp implements AutoCloseable {

    private final ServerSocket socket;
    private final Path spool;
    private final AtomicInteger count = new AtomicInteger();
    private final Thread acceptor;

    public LoopbackSmtp(Path spool) throws IOException {
        this.spool = spool;
        Files.createDirectories(spool);
        socket = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        acceptor = new Thread(this::accept, "loopback-smtp");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public int port() {
        return socket.getLocalPort();
    }

    private void accept() {
        while (!socket.isClosed()) {
            try {
                Socket s = socket.accept();
                Thread t = new Thread(() -> session(s), "loopback-smtp-session");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void session(Socket s) {
        try (s; BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(),
                StandardCharsets.UTF_8)); OutputStream out = s.getOutputStream()) {
            // Longer than the mail client's pooled-connection keep-alive (Vert.x: 5 minutes), so the server never drops
            // a connection the RA still counts on; a stuck session still ends.
            s.setSoTimeout(600_000);
            reply(out, "220 localhost loopback SMTP for tests");
            List<String> rcpt = new ArrayList<>();
            String line;
            while ((line = in.readLine()) != null) {
                String cmd = line.length() >= 4 ? line.substring(0, 4).toUpperCase() : line.toUpperCase();
                switch (cmd) {
                    case "EHLO", "HELO" -> reply(out, "250 localhost");
                    case "MAIL" -> {
                        if (failNext()) {
                            reply(out, "451 4.3.0 try again later (test failure)");
                        } else {
                            rcpt.clear();
                            reply(out, "250 OK");
                        }
                    }
                    case "RCPT" -> {
                        Matcher m = Pattern.compile("<([^>]*)>").matcher(line);
                        rcpt.add(m.find() ? m.group(1) : line);
                        reply(out, "250 OK");
                    }
                    case "DATA" -> {
                        reply(out, "354 end with <CRLF>.<CRLF>");
                        StringBuilder data = new StringBuilder();
                        String d;
                        while ((d = in.readLine()) != null && !d.equals(".")) {
                            data.append(d.startsWith("..") ? d.substring(1) : d).append("\r\n");
                        }
                        int n = count.incrementAndGet();
                        Files.writeString(spool.resolve(String.format("%05d.eml", n)),
                                "X-Envelope-To: " + String.join(",", rcpt) + "\r\n" + data, StandardCharsets.UTF_8);
                        reply(out, "250 OK queued as " + n);
                    }
                    case "RSET", "NOOP" -> reply(out, "250 OK");
                    case "QUIT" -> {
                        reply(out, "221 bye");
                        return;
                    }
                    default -> reply(out, "502 5.5.1 not implemented");
                }
            }
        } catch (IOException e) {
            // the client went away; nothing to record
        }
    }

    private synchronized boolean failNext() throws IOException {
        Path f = spool.resolve("fail-next");
        if (!Files.exists(f)) {
            return false;
        }
        int n = Integer.parseInt(Files.readString(f).strip());
        if (n <= 0) {
            return false;
        }
        Files.writeString(f, Integer.toString(n - 1));
        return true;
    }

    private static void reply(OutputStream out, String s) throws IOException {
        out.write((s + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    /** One message as the server received it: envelope recipients, and the body decoded from quoted-printable. */
    public record Message(String envelopeTo, String raw, String text) {}

    /** The messages in a spool directory, in order of receipt. */
    public static List<Message> messages(Path spool) {
        try (Stream<Path> files = Files.list(spool)) {
            return files.filter(p -> p.toString().endsWith(".eml")).sorted(Comparator.naturalOrder()).map(p -> {
                try {
                    String raw = Files.readString(p, StandardCharsets.UTF_8);
                    String to = raw.substring("X-Envelope-To: ".length(), raw.indexOf("\r\n"));
                    return new Message(to, raw, decodeBody(raw));
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }).toList();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Polls until a message to {@code recipient} containing {@code text} has arrived, or the deadline passes. */
    public static Message await(Path spool, String recipient, String text, Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            for (Message m : messages(spool)) {
                if (m.envelopeTo().contains(recipient) && m.text().contains(text)) {
                    return m;
                }
            }
            java.util.concurrent.locks.LockSupport.parkNanos(20_000_000L);
        }
        throw new AssertionError("no message to " + recipient + " containing " + text + " within " + timeout
                + "; received: " + messages(spool).stream().map(Message::envelopeTo).toList());
    }

    /** The body after the header block, quoted-printable (RFC 2045 section 6.7) decoded as UTF-8 when so declared. */
    static String decodeBody(String raw) {
        String withoutEnvelope = raw.substring(raw.indexOf("\r\n") + 2);
        int split = withoutEnvelope.indexOf("\r\n\r\n");
        String headers = split < 0 ? withoutEnvelope : withoutEnvelope.substring(0, split);
        String body = split < 0 ? "" : withoutEnvelope.substring(split + 4);
        if (!headers.toLowerCase().contains("quoted-printable")) {
            return body;
        }
        String joined = body.replace("=\r\n", "");
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        byte[] in = joined.getBytes(StandardCharsets.ISO_8859_1);
        for (int i = 0; i < in.length; i++) {
            if (in[i] == '=' && i + 2 < in.length) {
                bytes.write(Integer.parseInt(new String(in, i + 1, 2, StandardCharsets.US_ASCII), 16));
                i += 2;
            } else {
                bytes.write(in[i]);
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** Starts the server for a Quarkus test and points Quarkus Mailer at it. */
    public static class Resource implements QuarkusTestResourceLifecycleManager {
        private LoopbackSmtp server;

        @Override
        public Map<String, String> start() {
            try {
                Path spool = Path.of("target", "smtp-spool-" + ProcessHandle.current().pid() + "-"
                        + System.nanoTime()).toAbsolutePath();
                server = new LoopbackSmtp(spool);
                return Map.of("quarkus.mailer.mock", "false", "quarkus.mailer.host", "127.0.0.1",
                        "quarkus.mailer.port", Integer.toString(server.port()), "quarkus.mailer.start-tls", "DISABLED",
                        "quarkus.mailer.login", "DISABLED", "test.smtp.spool", spool.toString());
            } catch (IOException e) {
                throw new IllegalStateException("cannot start the loopback SMTP server: " + e.getMessage(), e);
            }
        }

        @Override
        public void stop() {
            try {
                if (server != null) {
                    server.close();
                }
            } catch (IOException e) {
                // closing a listening socket: nothing left to do
            }
        }
    }
}
