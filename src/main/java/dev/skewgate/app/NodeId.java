package dev.skewgate.app;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * This node's id among the nodes that share a store: made once per data dir (file {@code node-id}), so a restarted
 * node is the same node and a second data dir is a second node.
 */
final class NodeId {

    static final String FILE_NAME = "node-id";

    private NodeId() {
    }

    static String loadOrCreate(Path dataDir) throws IOException {
        Path file = dataDir.resolve(FILE_NAME);
        if (Files.exists(file)) {
            String id = Files.readString(file, StandardCharsets.UTF_8).trim();
            if (id.matches("node-[0-9a-f]{8}")) {
                return id;
            }
            // A damaged file: a new id (the old one's row ages out of the nodes list).
        }
        byte[] random = new byte[4];
        new SecureRandom().nextBytes(random);
        String id = "node-" + HexFormat.of().formatHex(random);
        Path temp = dataDir.resolve(FILE_NAME + ".tmp");
        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(ByteBuffer.wrap((id + "\n").getBytes(StandardCharsets.UTF_8)));
            ch.force(true);
        }
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel dir = FileChannel.open(dataDir, StandardOpenOption.READ)) {
            dir.force(true);
        }
        return id;
    }
}
