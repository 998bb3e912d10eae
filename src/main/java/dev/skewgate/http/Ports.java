package dev.skewgate.http;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/**
 * Port 0 ("any free port") for servers deployed as several Vert.x instances: Vert.x shares a listening socket
 * between instances only when they name the same port, so a free port is chosen once and given to all of them.
 */
public final class Ports {

    private Ports() {
    }

    /** {@code requested}, or a port that was free on {@code host} a moment ago when {@code requested} is 0. */
    public static int resolve(String host, int requested) {
        if (requested != 0) {
            return requested;
        }
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName(host))) {
            return probe.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on " + host, e);
        }
    }
}
