package dev.skewgate.admin;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The admin API's bearer token: created at first start as {@code admin-token} in the data directory (owner-only
 * permissions, written crash-safely), read by the CLI on the same machine; on a shared PostgreSQL store the first
 * node's token, kept sealed in the database, is every node's. Compared in constant time.
 */
public final class AdminToken {

    public static final String FILE_NAME = dev.skewgate.model.DataLayout.ADMIN_TOKEN_FILE;

    private final byte[] token;

    private AdminToken(String token) {
        this.token = token.getBytes(StandardCharsets.UTF_8);
    }

    public static AdminToken of(String token) {
        return new AdminToken(token);
    }

    /** Reads the token file in {@code dataDir}, creating it with a new random token if there is none. */
    public static AdminToken loadOrCreate(Path dataDir) throws IOException {
        Path file = dataDir.resolve(FILE_NAME);
        if (Files.exists(file)) {
            return new AdminToken(Files.readString(file, StandardCharsets.UTF_8).trim());
        }
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        String token = "sgt_" + Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        write(dataDir, token);
        return new AdminToken(token);
    }

    /**
     * The token that every node on a shared store uses: this data dir's (made if missing) offered to {@code agree},
     * which answers the one the store keeps (the first node's); the file is rewritten when they differ, so the CLI on
     * this machine reads the token every node accepts.
     */
    public static AdminToken shared(Path dataDir, java.util.function.UnaryOperator<String> agree) throws IOException {
        String local = new String(loadOrCreate(dataDir).token, StandardCharsets.UTF_8);
        String agreed = agree.apply(local);
        if (!agreed.equals(local)) {
            write(dataDir, agreed);
        }
        return new AdminToken(agreed);
    }

    private static void write(Path dataDir, String token) throws IOException {
        Path file = dataDir.resolve(FILE_NAME);
        Path temp = dataDir.resolve(FILE_NAME + ".tmp");
        Files.deleteIfExists(temp);
        Files.createFile(temp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap((token + "\n").getBytes(StandardCharsets.UTF_8)));
            ch.force(true);
        }
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel dir = FileChannel.open(dataDir, StandardOpenOption.READ)) {
            dir.force(true);
        }
    }

    /** Whether an {@code Authorization} header carries this token; constant time in the token's length. */
    public boolean matches(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        byte[] offered = authorization.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(offered, token);
    }
}
