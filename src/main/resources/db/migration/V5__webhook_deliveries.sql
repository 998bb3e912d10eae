-- Deliveries the deploy webhook accepted, kept for its 5-minute replay window so a replay after a restart is still
-- recognised. The key is a sha256 of site, timestamp and signature; rows past expires_at (epoch seconds) are deleted.
CREATE TABLE webhook_deliveries (
    delivery   TEXT    NOT NULL PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_by_expiry ON webhook_deliveries (expires_at);
