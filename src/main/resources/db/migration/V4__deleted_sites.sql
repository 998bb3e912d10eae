-- A deleted site keeps its row (and so its audit log and the ids of its deployments, for 410 answers and purging);
-- its hosts are released and every deployment is retired. Creating a site of the same name revives the row.
ALTER TABLE sites ADD COLUMN deleted_at BIGINT;
