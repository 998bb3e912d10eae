package dev.skewgate.proxy;

import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The WebSocket tunnels open per deployment. When a deployment is retired, its tunnels are closed after a drain
 * period with close code {@value #RETIRED_CODE} and a reason the browser SDK understands: the gateway writes the close
 * frame itself, at a frame boundary of the server-to-client stream, then closes both sides.
 */
public final class WebSocketTunnels {

    /** A private-use close code (RFC 6455 §7.4.2): "the deployment this socket belongs to was retired". */
    public static final int RETIRED_CODE = 4410;
    public static final String RETIRED_REASON = "deployment retired";

    private final Map<String, Set<Tunnel>> byDeployment = new ConcurrentHashMap<>();

    /** One tunnel: the client and backend sockets, and where the server-to-client stream is in its framing. */
    static final class Tunnel {
        final Context context;
        final NetSocket client;
        final NetSocket backend;
        final FrameBoundary boundary = new FrameBoundary();
        boolean closing;

        Tunnel(Context context, NetSocket client, NetSocket backend) {
            this.context = context;
            this.client = client;
            this.backend = backend;
        }
    }

    /** Relays both ways with backpressure, watching frame boundaries of what the backend sends. */
    void open(String deployment, Context context, NetSocket client, NetSocket backend) {
        Tunnel t = new Tunnel(context, client, backend);
        Set<Tunnel> set = byDeployment.computeIfAbsent(deployment, k -> ConcurrentHashMap.newKeySet());
        set.add(t);
        client.pipeTo(backend);
        backend.handler(data -> {
            client.write(data);
            t.boundary.consume(data);
            if (client.writeQueueFull()) {
                backend.pause();
                client.drainHandler(v -> backend.resume());
            }
            if (t.closing && t.boundary.atBoundary()) {
                closeRetired(t);
            }
        });
        backend.endHandler(v -> client.end());
        backend.exceptionHandler(e -> client.close());
        client.exceptionHandler(e -> backend.close());
        client.closeHandler(v -> {
            set.remove(t);
            backend.close();
        });
        backend.closeHandler(v -> client.close());
    }

    /** Closes every tunnel of a deployment after {@code drainMillis}; returns how many were open. */
    public int retire(String deployment, long drainMillis) {
        Set<Tunnel> set = byDeployment.remove(deployment);
        if (set == null) {
            return 0;
        }
        for (Tunnel t : set) {
            t.context.runOnContext(v -> t.context.owner().setTimer(Math.max(1, drainMillis), id -> {
                t.closing = true;
                if (t.boundary.atBoundary()) {
                    closeRetired(t);
                }
            }));
        }
        return set.size();
    }

    /** The deployments with open tunnels. */
    public java.util.Set<String> deployments() {
        return java.util.Set.copyOf(byDeployment.keySet());
    }

    public int open(String deployment) {
        Set<Tunnel> set = byDeployment.get(deployment);
        return set == null ? 0 : set.size();
    }

    private static void closeRetired(Tunnel t) {
        byte[] reason = RETIRED_REASON.getBytes(StandardCharsets.UTF_8);
        Buffer frame = Buffer.buffer()
                .appendByte((byte) 0x88) // FIN + close opcode; a server's frames are not masked (RFC 6455 §5.1)
                .appendByte((byte) (2 + reason.length))
                .appendShort((short) RETIRED_CODE)
                .appendBytes(reason);
        t.backend.handler(null);
        t.backend.close();
        t.client.end(frame);
    }

    /**
     * Follows RFC 6455 framing just far enough to know where one frame ends: header, extended length, masking key,
     * payload. Hand-written because no library exposes framing of a raw relayed byte stream.
     */
    static final class FrameBoundary {
        private final byte[] header = new byte[14];
        private int headerHave;
        private int headerNeed = 2;
        private long payloadLeft;

        boolean atBoundary() {
            return headerHave == 0 && payloadLeft == 0;
        }

        void consume(Buffer data) {
            int i = 0;
            int n = data.length();
            while (i < n) {
                if (payloadLeft > 0) {
                    long take = Math.min(payloadLeft, n - i);
                    payloadLeft -= take;
                    i += (int) take;
                    continue;
                }
                header[headerHave++] = data.getByte(i++);
                if (headerHave == 2) {
                    int len = header[1] & 0x7f;
                    boolean masked = (header[1] & 0x80) != 0;
                    headerNeed = 2 + (len == 126 ? 2 : len == 127 ? 8 : 0) + (masked ? 4 : 0);
                }
                if (headerHave >= 2 && headerHave == headerNeed) {
                    int len = header[1] & 0x7f;
                    long payload = len;
                    if (len == 126) {
                        payload = ((header[2] & 0xffL) << 8) | (header[3] & 0xffL);
                    } else if (len == 127) {
                        payload = 0;
                        for (int k = 2; k < 10; k++) {
                            payload = (payload << 8) | (header[k] & 0xffL);
                        }
                    }
                    payloadLeft = payload;
                    headerHave = 0;
                    headerNeed = 2;
                }
            }
        }
    }
}
