-- Keeping open tabs informed: runtime config, SDK settings, webhook secrets; and a monotonic demotion order.

ALTER TABLE sites ADD COLUMN config TEXT NOT NULL DEFAULT '{}';
ALTER TABLE sites ADD COLUMN config_revision BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sites ADD COLUMN config_alias VARCHAR(1024);
ALTER TABLE sites ADD COLUMN inject_sdk INTEGER NOT NULL DEFAULT 1;
ALTER TABLE sites ADD COLUMN update_strategy VARCHAR(40) NOT NULL DEFAULT 'banner';
ALTER TABLE sites ADD COLUMN poll_interval_ms BIGINT NOT NULL DEFAULT 300000;
ALTER TABLE sites ADD COLUMN api_origins TEXT NOT NULL DEFAULT '[]';
ALTER TABLE sites ADD COLUMN webhook_secrets TEXT NOT NULL DEFAULT '[]';

-- The event number of the switch that made a deployment previous: rollback picks the highest, so the order never
-- depends on clock precision or a clock stepping back.
ALTER TABLE deployments ADD COLUMN demoted_seq BIGINT;
