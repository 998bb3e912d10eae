package dev.skewgate.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Encrypts secrets kept in the database (webhook secrets, server-side environment values) with AES-256-GCM under a
 * key file ({@code secret-key}, mode 0600) in the data directory, so a copy of the database alone reveals nothing. Values read that are not
 * encrypted are the plaintext of an older version and are returned as they are (and re-stored encrypted).
 */
public final class SecretBox {

    public static final String KEY_FILE = "secret-key";
    private static final String PREFIX = "enc:v1:";
    private static final int IV_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SecretKeySpec key;

    private SecretBox(byte[] key) {
        this.key = new SecretKeySpec(key, "AES");
    }

    /** The data directory's key, created (32 random bytes, owner-only from the first byte) when missing. */
    public static SecretBox loadOrCreate(Path dataDir) {
        Path file = dataDir.resolve(KEY_FILE);
        try {
            if (!Files.exists(file)) {
                byte[] fresh = new byte[32];
                RANDOM.nextBytes(fresh);
                Path tmp = dataDir.resolve(KEY_FILE + ".tmp");
                Files.deleteIfExists(tmp);
                Files.createFile(tmp, FilePermissions.OWNER_ONLY_FILE);
                Files.write(tmp, fresh);
                try {
                    Files.createLink(file, tmp); // fails if another process made one meanwhile: keep theirs
                } catch (FileAlreadyExistsException e) {
                    // someone else won; theirs is read below
                }
                Files.delete(tmp);
            }
            FilePermissions.restrict(file, FilePermissions.FILE);
            byte[] bytes = Files.readAllBytes(file);
            if (bytes.length != 32) {
                throw new IllegalStateException(file + " must hold 32 bytes (an AES-256 key), not " + bytes.length
                        + "; it encrypts the webhook secrets and env values in the database, so restore it from a backup");
            }
            return new SecretBox(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create the key file " + file, e);
        }
    }

    public static boolean isSealed(String value) {
        return value.startsWith(PREFIX);
    }

    public String seal(String plaintext) {
        try {
            byte[] iv = new byte[IV_BYTES];
            RANDOM.nextBytes(iv);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, iv));
            byte[] sealed = cipher.doFinal(plaintext.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            byte[] out = new byte[iv.length + sealed.length];
            System.arraycopy(iv, 0, out, 0, iv.length);
            System.arraycopy(sealed, 0, out, iv.length, sealed.length);
            return PREFIX + Base64.getEncoder().encodeToString(out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK always has AES/GCM", e);
        }
    }

    /** The plaintext of a sealed value; a value that is not sealed is returned as it is. */
    public String open(String value) {
        if (!isSealed(value)) {
            return value;
        }
        try {
            byte[] in = Base64.getDecoder().decode(value.substring(PREFIX.length()));
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, in, 0, IV_BYTES));
            return new String(cipher.doFinal(in, IV_BYTES, in.length - IV_BYTES), java.nio.charset.StandardCharsets.UTF_8);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new StoreFailure("a stored secret cannot be decrypted with " + KEY_FILE
                    + " (was the key file replaced?): " + e.getMessage(), e);
        }
    }
}
