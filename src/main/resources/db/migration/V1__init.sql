-- Skewgate metadata. Times are epoch milliseconds (UTC). Blobs live outside the database, by sha256.

CREATE TABLE sites (
    name             VARCHAR(63)  NOT NULL PRIMARY KEY,
    api_prefixes     TEXT         NOT NULL,  -- JSON array of strings
    spa              INTEGER      NOT NULL,
    entry_point      VARCHAR(1024) NOT NULL,
    skew_window_ms   BIGINT       NOT NULL,
    keep_previous    INTEGER      NOT NULL,
    purge_after_ms   BIGINT       NOT NULL,
    header_rules     TEXT         NOT NULL,  -- JSON array of {glob, headers}
    active_deployment VARCHAR(30),
    revision         BIGINT       NOT NULL,
    created_at       BIGINT       NOT NULL
);

CREATE TABLE site_hosts (
    host     VARCHAR(260) NOT NULL PRIMARY KEY,
    site     VARCHAR(63)  NOT NULL REFERENCES sites (name) ON DELETE CASCADE,
    position INTEGER      NOT NULL  -- the order the user gave; the first name is the one shown in preview URLs
);

CREATE TABLE deployments (
    id            VARCHAR(30)  NOT NULL PRIMARY KEY,
    site          VARCHAR(63)  NOT NULL REFERENCES sites (name),
    state         VARCHAR(16)  NOT NULL,
    created_at    BIGINT       NOT NULL,
    finalized_at  BIGINT,
    activated_at  BIGINT,
    demoted_at    BIGINT,
    retired_at    BIGINT,
    message       TEXT         NOT NULL,
    git_sha       VARCHAR(64),
    author        VARCHAR(200) NOT NULL,
    file_count    INTEGER      NOT NULL,
    total_bytes   BIGINT       NOT NULL,
    promoted_from VARCHAR(30)
);
CREATE INDEX deployments_by_site ON deployments (site, state);

CREATE TABLE deployment_files (
    deployment    VARCHAR(30)   NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    path          VARCHAR(1024) NOT NULL,
    sha256        CHAR(64)      NOT NULL,
    size          BIGINT        NOT NULL,
    content_type  VARCHAR(100)  NOT NULL,
    PRIMARY KEY (deployment, path)
);
CREATE INDEX deployment_files_by_sha ON deployment_files (sha256);

CREATE TABLE events (
    site        VARCHAR(63)  NOT NULL,
    seq         BIGINT       NOT NULL,
    type        VARCHAR(40)  NOT NULL,
    deployment  VARCHAR(30),
    previous    VARCHAR(30),
    actor       VARCHAR(200) NOT NULL,
    at          BIGINT       NOT NULL,
    notified    INTEGER      NOT NULL,
    detail      TEXT         NOT NULL,
    PRIMARY KEY (site, seq)
);
