package dev.skewgate.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Set;

/** Content-addressed file bytes, shared by every deployment and site: a blob's name is the sha256 of its bytes. */
public interface BlobStore {

    boolean has(String sha256);

    /** Which of these blobs are not stored (one question for a whole manifest where the store is remote). */
    default Set<String> missing(java.util.Collection<String> sha256s) {
        Set<String> out = new java.util.LinkedHashSet<>();
        for (String sha : sha256s) {
            if (!has(sha)) {
                out.add(sha);
            }
        }
        return out;
    }

    /** Where the data plane reads the blob from (and hands it to sendfile). */
    Path path(String sha256);

    /**
     * Makes these blobs readable at {@link #path} before a snapshot refers to them (a store whose blobs live
     * elsewhere fills its local cache here, so a switch never waits on a download). Where every blob is a local file
     * already there is nothing to do.
     */
    default void fetch(java.util.Collection<String> sha256s) throws IOException {
    }

    /**
     * Starts writing a blob that must hash to {@code sha256} and number exactly {@code size} bytes. Crash-safe: the
     * blob appears whole or not at all.
     */
    BlobUpload open(String sha256, long size) throws IOException;

    /** Stores a stream's bytes through {@link #open}; on any failure nothing is kept. */
    default void put(String sha256, long size, InputStream in) throws IOException {
        BlobUpload upload = open(sha256, size);
        try {
            byte[] chunk = new byte[64 * 1024];
            int n;
            while ((n = in.read(chunk)) > 0) {
                upload.write(chunk, 0, n);
            }
            upload.commit();
        } finally {
            upload.abort();
        }
    }

    /** Deletes a blob and its compressed variants. */
    void delete(String sha256) throws IOException;

    /** The compressed variants of the blobs, stored beside them. */
    VariantFiles variants();

    /** Every blob present, for garbage collection. */
    Set<String> list() throws IOException;

    /** One blob being written; {@link #abort} after {@link #commit} does nothing. */
    interface BlobUpload {

        /** @throws dev.skewgate.model.InvalidRequestException when more bytes arrive than declared */
        void write(byte[] bytes, int offset, int length) throws IOException;

        /** Verifies size and hash, then makes the blob durable and visible. */
        void commit() throws IOException;

        /** Forgets the partial blob. */
        void abort() throws IOException;
    }
}
