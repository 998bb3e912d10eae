-- Blobs in PostgreSQL (issue 14), so every node can fill its local cache from the one database: content-addressed
-- like the blob folder, the bytes in 1 MiB chunks so no statement ever carries one huge bytea. A blob row is
-- inserted in the same transaction as its chunks, after their size and sha256 were verified: a blob is whole or
-- absent. Compressed variants are not stored here: each node computes its own (docs/design.md says why).
CREATE TABLE blobs (
    sha256     text PRIMARY KEY,
    size       bigint NOT NULL,
    chunks     integer NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE blob_chunks (
    sha256 text NOT NULL,
    n      integer NOT NULL,
    data   bytea NOT NULL,
    PRIMARY KEY (sha256, n)
);
-- Chunks are large and written once: no TOAST compression (build output is mostly compressed already).
ALTER TABLE blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
