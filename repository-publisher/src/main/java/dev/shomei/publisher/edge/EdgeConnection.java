package dev.shomei.publisher.edge;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;

/**
 * One client connection to the edge (RFC 9112 HTTP/1.1): Netty's request parser in front, then this handler,
 * which collects a request (an OCSP POST body up to {@link RepositoryEdge#MAX_REQUEST_BYTES}), asks
 * {@link RepositoryEdge#answer} what to send, and writes the answer as one buffer of bytes, most of them encoded
 * once per file. Keep-alive and pipelining as RFC 9112 §9.3 says; the writes of one read are flushed together.
 *
 * <p>Slow clients: the connection is in one of two states. <em>Receiving</em> from its first byte (or from its
 * opening) until a request is complete: if that takes longer than the request timeout, the connection is closed
 * (slowloris: a client that sends its headers a byte at a time never completes a request). <em>Idle</em> after an
 * answer until the next byte: closed after {@link #IDLE_TIMEOUT}. A check every quarter of the request timeout
 * (100 ms .. 1 s) enforces both, so a client is cut within 1.25 × the limit; nothing is scheduled per request.
 * A client that does not read its answers stops being read from (Netty's write-buffer watermarks); it is closed
 * once it has taken nothing of them for the idle timeout.
 *
 * <p>Online zone (edge). Runs on the edge's event loops; touches only its connection.
 */
final class EdgeConnection extends ChannelInboundHandlerAdapter {

    /** Request line and header section limit: an OCSP GET is under 300 bytes of URL; echoed paths are cut anyway. */
    static final int MAX_HEADER_BYTES = 32 * 1024;
    /** How long a kept-alive connection may wait for its next request (the JDK server's default idle interval). */
    static final Duration IDLE_TIMEOUT = Duration.ofSeconds(30);

    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] NOSNIFF = RepositoryEdge.ascii("X-Content-Type-Options: nosniff\r\n");
    private static final byte[] CONTENT_LENGTH = RepositoryEdge.ascii("Content-Length: ");
    private static final byte[] CONNECTION_CLOSE = RepositoryEdge.ascii("Connection: close\r\n");
    private static final byte[] CONNECTION_KEEP_ALIVE = RepositoryEdge.ascii("Connection: keep-alive\r\n");
    private static final ByteBuf CONTINUE = Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(
            RepositoryEdge.ascii("HTTP/1.1 100 Continue\r\n\r\n"))).asReadOnly();
    private static final byte[][] STATUS_LINES = new byte[600][];
    /** RFC 9110 §5.6.7 IMF-fixdate. */
    private static final DateTimeFormatter IMF_FIXDATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);
    private static volatile DateLine dateLine = new DateLine(Long.MIN_VALUE, null);

    private record DateLine(long second, byte[] line) { }

    private enum State { RECEIVING, IDLE }

    private final RepositoryEdge edge;
    private final long requestTimeoutNanos;
    private final long checkMillis;

    private State state = State.RECEIVING;
    private long since = System.nanoTime();
    private ScheduledFuture<?> check;
    /** The request being received, its body so far, and whether the body went past the limit. */
    private HttpRequest request;
    private byte[] body;
    private int bodyLength;
    private boolean bodyTooLarge;
    private boolean toFlush;
    /** Answer bytes not yet taken by the client at the last check. */
    private long pendingBytes;
    private boolean closing;

    private EdgeConnection(RepositoryEdge edge, Duration requestTimeout) {
        this.edge = edge;
        this.requestTimeoutNanos = requestTimeout.toNanos();
        this.checkMillis = Math.min(1000, Math.max(100, requestTimeout.toMillis() / 4));
    }

    /** Sets up a new connection's pipeline. */
    static void install(ChannelPipeline pipeline, RepositoryEdge edge, Duration requestTimeout) {
        EdgeConnection c = new EdgeConnection(edge, requestTimeout);
        pipeline.addLast("bytes-in", c.new BytesIn());
        pipeline.addLast("http", new HttpRequestDecoder(MAX_HEADER_BYTES, MAX_HEADER_BYTES, 8192));
        pipeline.addLast("edge", c);
    }

    /** Before the parser: the first byte after an answer starts the clock of the next request. */
    private final class BytesIn extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (state == State.IDLE) {
                state = State.RECEIVING;
                since = System.nanoTime();
            }
            ctx.fireChannelRead(msg);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        since = System.nanoTime();
        check = ctx.executor().scheduleAtFixedRate(() -> checkTime(ctx), checkMillis, checkMillis, TimeUnit.MILLISECONDS);
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (check != null) {
            check.cancel(false);
        }
        ctx.fireChannelInactive();
    }

    private void checkTime(ChannelHandlerContext ctx) {
        if (state == State.IDLE) {
            // A large answer (a CRL) still going out to a slow reader is not idleness while it moves: the idle
            // clock restarts whenever the client has taken some of it, and runs out only if it takes nothing.
            ChannelOutboundBuffer pending = ctx.channel().unsafe().outboundBuffer();
            long left = pending == null ? 0 : pending.totalPendingWriteBytes();
            if (left != pendingBytes) {
                pendingBytes = left;
                since = System.nanoTime();
            }
        }
        long waited = System.nanoTime() - since;
        if (state == State.RECEIVING && waited > requestTimeoutNanos
                || state == State.IDLE && waited > IDLE_TIMEOUT.toNanos()) {
            // No answer: the client has not finished a request (or asked nothing more) in the time allowed.
            check.cancel(false);
            ctx.close();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (closing) {
                return;
            }
            if (msg instanceof HttpRequest r) {
                if (r.decoderResult().isFailure()) {
                    refuse(ctx, r.decoderResult().cause());
                    return;
                }
                request = r;
                bodyLength = 0;
                bodyTooLarge = false;
                if (HttpUtil.is100ContinueExpected(r)) {
                    // RFC 9110 §10.1.1: the client waits for this before it sends its body.
                    ctx.write(CONTINUE.duplicate());
                    toFlush = true;
                }
            }
            if (msg instanceof HttpContent c && request != null) {
                if (c.decoderResult().isFailure()) {
                    refuse(ctx, c.decoderResult().cause());
                    return;
                }
                collect(c.content());
                if (c instanceof LastHttpContent) {
                    HttpRequest r = request;
                    request = null;
                    answer(ctx, r);
                }
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    /** Keeps up to MAX_REQUEST_BYTES of the body; the rest is read and dropped (the answer says it was too large). */
    private void collect(ByteBuf content) {
        int n = content.readableBytes();
        if (n == 0 || bodyTooLarge) {
            return;
        }
        if (bodyLength + n > RepositoryEdge.MAX_REQUEST_BYTES) {
            bodyTooLarge = true;
            return;
        }
        if (body == null || body.length < bodyLength + n) {
            body = Arrays.copyOf(body == null ? new byte[0] : body, Math.max(bodyLength + n, Math.min(2 * bodyLength + n,
                    RepositoryEdge.MAX_REQUEST_BYTES)));
        }
        content.readBytes(body, bodyLength, n);
        bodyLength += n;
    }

    private void answer(ChannelHandlerContext ctx, HttpRequest r) {
        boolean keepAlive = HttpUtil.isKeepAlive(r);
        List<String> ifNoneMatch = r.headers().getAll(HttpHeaderNames.IF_NONE_MATCH);
        byte[] content = bodyLength == 0 ? EMPTY : Arrays.copyOf(body, bodyLength);
        RepositoryEdge.Answer a = edge.answer(r.method().name(), r.uri(), ifNoneMatch, content, bodyTooLarge);
        write(ctx, a, keepAlive, r.protocolVersion() == HttpVersion.HTTP_1_0, false);
        state = State.IDLE;
        since = System.nanoTime();
    }

    /** The parser refused the request: answer, then close (what follows on the connection cannot be framed). */
    private void refuse(ChannelHandlerContext ctx, Throwable cause) {
        RepositoryEdge.Answer a;
        if (cause instanceof TooLongHttpLineException) {
            a = edge.refused(414, "URI Too Long", "the request line is longer than " + MAX_HEADER_BYTES + " bytes");
        } else if (cause instanceof TooLongHttpHeaderException) {
            a = edge.refused(431, "Request Header Fields Too Large", "the header section is longer than "
                    + MAX_HEADER_BYTES + " bytes");
        } else if (cause instanceof TooLongFrameException) {
            a = edge.refused(400, "Bad Request", "a chunk of the request is too large");
        } else {
            // The parser's message may quote the client's bytes: not echoed.
            a = edge.refused(400, "Bad Request", "the request is not valid HTTP/1.1 (RFC 9112)");
        }
        request = null;
        write(ctx, a, false, false, true);
    }

    /**
     * {@code linger}: the client may still be sending what the parser refused. Closing at once could reset the
     * connection and lose the answer in the client's receive buffer (RFC 9112 §9.6), so the edge only stops
     * sending, reads and drops what comes until the client closes, and closes by itself after the request timeout.
     */
    private void write(ChannelHandlerContext ctx, RepositoryEdge.Answer a, boolean keepAlive, boolean http10, boolean linger) {
        byte[] body = a.body();
        boolean withBody = !a.head() && a.status() != 304;
        ByteBuf out = ctx.alloc().ioBuffer(256 + (withBody ? body.length : 0));
        out.writeBytes(statusLine(a.status()));
        out.writeBytes(dateLine());
        for (byte[] h : a.headers()) {
            out.writeBytes(h);
        }
        out.writeBytes(NOSNIFF);
        if (a.status() != 304) {
            // For HEAD, the length a GET would have (RFC 9110 §9.3.2); a 304 has none (RFC 9110 §15.4.5).
            out.writeBytes(CONTENT_LENGTH);
            out.writeCharSequence(Integer.toString(body.length), StandardCharsets.US_ASCII);
            out.writeBytes(CRLF);
        }
        if (!keepAlive) {
            out.writeBytes(CONNECTION_CLOSE);
        } else if (http10) {
            out.writeBytes(CONNECTION_KEEP_ALIVE);
        }
        out.writeBytes(CRLF);
        if (withBody) {
            out.writeBytes(body);
        }
        if (keepAlive) {
            ctx.write(out, ctx.voidPromise());
            toFlush = true;
            if (!ctx.channel().isWritable()) {
                // The client is not reading its answers: send what we have, read no more until it does.
                flush(ctx);
                ctx.channel().config().setAutoRead(false);
            }
        } else if (linger && ctx.channel() instanceof DuplexChannel duplex) {
            closing = true;
            toFlush = false;
            state = State.RECEIVING;
            since = System.nanoTime();
            ctx.writeAndFlush(out).addListener(f -> duplex.shutdownOutput());
        } else {
            closing = true;
            toFlush = false;
            ctx.writeAndFlush(out).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        flush(ctx);
        ctx.fireChannelReadComplete();
    }

    private void flush(ChannelHandlerContext ctx) {
        if (toFlush) {
            toFlush = false;
            ctx.flush();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable() && !closing) {
            ctx.channel().config().setAutoRead(true);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!(cause instanceof IOException)) {
            // A reset or broken pipe is the client's business; anything else is worth the operator's attention.
            System.getLogger(EdgeConnection.class.getName()).log(System.Logger.Level.WARNING, "edge connection failed: " + cause, cause);
        }
        ctx.close();
    }

    private static byte[] statusLine(int status) {
        byte[] line = STATUS_LINES[status];
        if (line == null) {
            line = RepositoryEdge.ascii("HTTP/1.1 " + HttpResponseStatus.valueOf(status) + "\r\n");
            STATUS_LINES[status] = line;
        }
        return line;
    }

    /** "Date: ...\r\n" (RFC 9110 §6.6.1), formatted once a second. */
    private static byte[] dateLine() {
        long second = System.currentTimeMillis() / 1000;
        DateLine d = dateLine;
        if (d.second() != second) {
            d = new DateLine(second, RepositoryEdge.ascii("Date: " + IMF_FIXDATE.format(Instant.ofEpochSecond(second)) + "\r\n"));
            dateLine = d;
        }
        return d.line();
    }

    private static final byte[] EMPTY = new byte[0];
}
