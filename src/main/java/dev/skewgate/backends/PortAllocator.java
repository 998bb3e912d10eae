package dev.skewgate.backends;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;

/**
 * Hands out free loopback ports for managed instances, never one that an instance of this gateway holds.
 *
 * <p>A port is free when the kernel gives it for a bind to 127.0.0.1:0; it stays reserved from
 * {@link #allocate()} (or {@link #reserve(int)} for an adopted instance) until {@link #release(int)}, so a
 * restarting instance keeps its port and no two instances get the same one even while one of them is down.
 */
public final class PortAllocator {

    private final Set<Integer> reserved = new HashSet<>();

    /** A free loopback port, now reserved. */
    public synchronized int allocate() {
        for (int attempt = 0; attempt < 100; attempt++) {
            int port;
            try (ServerSocket s = new ServerSocket()) {
                s.setReuseAddress(false);
                s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1);
                port = s.getLocalPort();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot bind a loopback port", e);
            }
            if (reserved.add(port)) {
                return port;
            }
        }
        throw new IllegalStateException("no free loopback port outside the " + reserved.size() + " reserved ones");
    }

    /** Reserves a port that an adopted instance already listens on; false when it is reserved already. */
    public synchronized boolean reserve(int port) {
        return reserved.add(port);
    }

    /** Gives a port back. */
    public synchronized void release(int port) {
        reserved.remove(port);
    }

    /** Whether the port is reserved (for tests and status). */
    public synchronized boolean isReserved(int port) {
        return reserved.contains(port);
    }
}
