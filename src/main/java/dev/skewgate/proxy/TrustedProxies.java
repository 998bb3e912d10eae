package dev.skewgate.proxy;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/** The addresses (CIDR ranges) whose forwarding headers are believed. Empty by default: nobody is trusted. */
public final class TrustedProxies {

    public static final TrustedProxies NONE = new TrustedProxies(List.of());

    private record Range(BigInteger network, BigInteger mask, int bytes) {
    }

    private final List<Range> ranges;

    private TrustedProxies(List<Range> ranges) {
        this.ranges = ranges;
    }

    /** Parses {@code 10.0.0.0/8}, {@code 127.0.0.1}, {@code ::1/128}; throws IllegalArgumentException when malformed. */
    public static TrustedProxies parse(List<String> cidrs) {
        List<Range> out = new ArrayList<>();
        for (String cidr : cidrs) {
            String[] parts = cidr.trim().split("/", 2);
            byte[] address = literal(parts[0]);
            int bits = parts.length == 2 ? Integer.parseInt(parts[1]) : address.length * 8;
            if (bits < 0 || bits > address.length * 8) {
                throw new IllegalArgumentException("'" + cidr + "' has an invalid prefix length");
            }
            BigInteger mask = BigInteger.ONE.shiftLeft(address.length * 8).subtract(BigInteger.ONE)
                    .xor(BigInteger.ONE.shiftLeft(address.length * 8 - bits).subtract(BigInteger.ONE));
            out.add(new Range(new BigInteger(1, address).and(mask), mask, address.length));
        }
        return new TrustedProxies(List.copyOf(out));
    }

    public boolean contains(String address) {
        if (ranges.isEmpty()) {
            return false;
        }
        byte[] bytes;
        try {
            bytes = literal(address);
        } catch (IllegalArgumentException e) {
            return false;
        }
        BigInteger value = new BigInteger(1, bytes);
        for (Range r : ranges) {
            if (r.bytes() == bytes.length && value.and(r.mask()).equals(r.network())) {
                return true;
            }
        }
        return false;
    }

    /** Only numeric literals: a host name here would mean a DNS lookup on the request path. */
    private static byte[] literal(String text) {
        String t = text.trim();
        if (t.isEmpty() || !(Character.digit(t.charAt(0), 16) >= 0 || t.charAt(0) == ':')) {
            throw new IllegalArgumentException("'" + text + "' is not an IP address");
        }
        try {
            return InetAddress.getByName(t).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("'" + text + "' is not an IP address", e);
        }
    }
}
