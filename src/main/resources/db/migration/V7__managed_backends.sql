-- Managed backends (issue 11): a deployment may bring its backend as a folder the gateway runs itself.

-- The backend folder's manifest: files are content-addressed blobs like the frontend's (kind 'f', or 'x' when
-- executable); kind 'l' is a relative symbolic link that stays inside the folder (link holds its target).
CREATE TABLE backend_files (
    deployment VARCHAR(40) NOT NULL REFERENCES deployments (id),
    path       TEXT        NOT NULL,
    kind       CHAR(1)     NOT NULL,
    sha256     CHAR(64),
    size       BIGINT      NOT NULL DEFAULT 0,
    link       TEXT,
    PRIMARY KEY (deployment, path)
);
CREATE INDEX backend_files_sha256 ON backend_files (sha256);

-- A deployment's own environment (from --env-file), on top of its site's; values encrypted like site_env's.
CREATE TABLE deployment_env (
    deployment VARCHAR(40)  NOT NULL REFERENCES deployments (id),
    name       VARCHAR(128) NOT NULL,
    value      TEXT         NOT NULL,
    PRIMARY KEY (deployment, name)
);

-- When the release command of a deployment succeeded: it runs once, not again on a rollback to it.
ALTER TABLE deployments ADD COLUMN released_at BIGINT;
-- A site's defaults for managed backends (JSON BackendDefaults, '{}' for none).
ALTER TABLE sites ADD COLUMN backend_defaults TEXT NOT NULL DEFAULT '{}';
