-- Skewgate metadata on PostgreSQL: the tables of SQLite's db/migration V1..V7 in one step, with PostgreSQL's own
-- types. Times are timestamptz (written at millisecond precision, as SQLite keeps them), durations bigint
-- milliseconds, JSON columns json (validated, and kept as written: jsonb would reorder keys). Blobs live outside.

CREATE TABLE sites (
    name              varchar(63)   NOT NULL PRIMARY KEY,
    api_prefixes      json          NOT NULL,  -- array of strings
    spa               boolean       NOT NULL,
    entry_point       varchar(1024) NOT NULL,
    skew_window_ms    bigint        NOT NULL,
    keep_previous     integer       NOT NULL,
    purge_after_ms    bigint        NOT NULL,
    header_rules      json          NOT NULL,  -- array of {glob, headers}
    active_deployment varchar(40),
    revision          bigint        NOT NULL,
    created_at        timestamptz   NOT NULL,
    config            json          NOT NULL DEFAULT '{}',  -- the runtime config, served as written
    config_revision   bigint        NOT NULL DEFAULT 0,
    config_alias      varchar(1024),
    inject_sdk        boolean       NOT NULL DEFAULT true,
    update_strategy   varchar(40)   NOT NULL DEFAULT 'banner',
    poll_interval_ms  bigint        NOT NULL DEFAULT 300000,
    api_origins       json          NOT NULL DEFAULT '[]',
    webhook_secrets   json          NOT NULL DEFAULT '[]',  -- array of SecretBox-sealed strings
    default_backend   json,                                 -- {upstreams, healthPath, managed?} or NULL
    checks            json          NOT NULL DEFAULT '{}',  -- CheckSettings; missing fields take defaults
    backend_defaults  json          NOT NULL DEFAULT '{}',
    env_revision      bigint        NOT NULL DEFAULT 0,
    -- A deleted site keeps its row (its audit log, and its deployments' ids for 410 answers and purging);
    -- creating a site of the same name revives it.
    deleted_at        timestamptz
);

CREATE TABLE site_hosts (
    host     varchar(260) NOT NULL PRIMARY KEY,
    site     varchar(63)  NOT NULL REFERENCES sites (name) ON DELETE CASCADE,
    position integer      NOT NULL  -- the order the user gave; the first name is the one shown in preview URLs
);
CREATE INDEX site_hosts_by_site ON site_hosts (site);

CREATE TABLE deployments (
    id            varchar(40)  NOT NULL PRIMARY KEY,
    site          varchar(63)  NOT NULL REFERENCES sites (name),
    state         varchar(16)  NOT NULL,
    created_at    timestamptz  NOT NULL,
    finalized_at  timestamptz,
    activated_at  timestamptz,
    demoted_at    timestamptz,
    -- The event number of the switch that made it previous: rollback picks the highest, never the clock's order.
    demoted_seq   bigint,
    retired_at    timestamptz,
    released_at   timestamptz,  -- when its release command succeeded: it runs once, not again on a rollback
    message       text         NOT NULL,
    git_sha       varchar(64),
    author        varchar(200) NOT NULL,
    file_count    integer      NOT NULL,
    total_bytes   bigint       NOT NULL,
    promoted_from varchar(40),
    backend       json          -- {upstreams, healthPath, managed?} or NULL
);
CREATE INDEX deployments_by_site ON deployments (site, state);
CREATE INDEX deployments_by_state ON deployments (state);

CREATE TABLE deployment_files (
    deployment   varchar(40)   NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    path         varchar(1024) NOT NULL,
    sha256       char(64)      NOT NULL,
    size         bigint        NOT NULL,
    content_type varchar(100)  NOT NULL,
    PRIMARY KEY (deployment, path)
);
CREATE INDEX deployment_files_by_sha ON deployment_files (sha256);

-- A managed backend's folder manifest: kind 'f' (or 'x' when executable) is a content-addressed blob, 'l' a
-- relative symbolic link that stays inside the folder.
CREATE TABLE backend_files (
    deployment varchar(40) NOT NULL REFERENCES deployments (id),
    path       text        NOT NULL,
    kind       char(1)     NOT NULL,
    sha256     char(64),
    size       bigint      NOT NULL DEFAULT 0,
    link       text,
    PRIMARY KEY (deployment, path)
);
CREATE INDEX backend_files_sha256 ON backend_files (sha256);

-- Server-side environment of a site and of a deployment: every value sealed by SecretBox.
CREATE TABLE site_env (
    site  varchar(63)  NOT NULL REFERENCES sites (name) ON DELETE CASCADE,
    name  varchar(128) NOT NULL,
    value text         NOT NULL,
    PRIMARY KEY (site, name)
);

CREATE TABLE deployment_env (
    deployment varchar(40)  NOT NULL REFERENCES deployments (id),
    name       varchar(128) NOT NULL,
    value      text         NOT NULL,
    PRIMARY KEY (deployment, name)
);

-- The audit log. seq is one sequence per site (not a global serial): an SSE client's Last-Event-ID, so it must
-- stay gap-free and ordered for a site whichever node appended the event. It is taken as MAX(seq)+1 under the
-- site's advisory lock (see PostgresStore).
CREATE TABLE events (
    site       varchar(63)  NOT NULL,
    seq        bigint       NOT NULL,
    type       varchar(40)  NOT NULL,
    deployment varchar(40),
    previous   varchar(40),
    actor      varchar(200) NOT NULL,
    at         timestamptz  NOT NULL,
    notified   integer      NOT NULL,
    detail     text         NOT NULL,
    PRIMARY KEY (site, seq)
);

-- Deliveries the deploy webhook accepted, kept for the replay window (the key is a sha256 of site, timestamp and
-- signature); rows past expires_at are deleted.
CREATE TABLE webhook_deliveries (
    delivery   text        NOT NULL PRIMARY KEY,
    expires_at timestamptz NOT NULL
);
CREATE INDEX webhook_deliveries_by_expiry ON webhook_deliveries (expires_at);

-- Facts about the store itself: 'secret-key-check' is a value sealed with the key that seals this database's
-- secrets, so a node opening it with another key file is refused instead of mixing two keys.
CREATE TABLE store_meta (
    name  text NOT NULL PRIMARY KEY,
    value text NOT NULL
);
