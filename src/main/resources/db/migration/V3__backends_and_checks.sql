-- Skew protection for APIs: a backend per deployment (or a site default), readiness and synthetic checks.

ALTER TABLE deployments ADD COLUMN backend TEXT;            -- JSON {upstreams:[...], healthPath} or NULL
ALTER TABLE sites ADD COLUMN default_backend TEXT;          -- JSON as above, or NULL
ALTER TABLE sites ADD COLUMN checks TEXT NOT NULL DEFAULT '{}';  -- JSON CheckSettings; missing fields take defaults
