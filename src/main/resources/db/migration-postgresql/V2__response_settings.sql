-- What the gateway adds to a site's responses (issue 12), as SQLite's V8: JSON ResponseSettings, '{}' for none
-- (HSTS off, proxied responses passed through as the backend sent them).
ALTER TABLE sites ADD COLUMN responses json NOT NULL DEFAULT '{}';
