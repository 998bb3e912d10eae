-- The nodes that share this database (issue 14): each upserts its row every few seconds with what it counts (open
-- tabs, traffic), so any node can show the sum over the live ones. heartbeat_at is the database's clock, never a
-- node's: nodes with skewed clocks still agree on who is live.
CREATE TABLE nodes (
    id           text PRIMARY KEY,
    address      text NOT NULL,
    started_at   timestamptz NOT NULL,
    heartbeat_at timestamptz NOT NULL DEFAULT now(),
    report       text NOT NULL
);
