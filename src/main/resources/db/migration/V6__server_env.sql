-- A site's server-side environment (for the backends the gateway will manage), distinct from the public runtime
-- config. Each value is encrypted under the data directory's key (SecretBox); the revision counts its changes.
CREATE TABLE site_env (
    site  VARCHAR(63)  NOT NULL REFERENCES sites (name) ON DELETE CASCADE,
    name  VARCHAR(128) NOT NULL,
    value TEXT         NOT NULL,
    PRIMARY KEY (site, name)
);
ALTER TABLE sites ADD COLUMN env_revision BIGINT NOT NULL DEFAULT 0;
