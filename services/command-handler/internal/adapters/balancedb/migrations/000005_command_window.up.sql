-- The dedup records are kept for DEDUP_WINDOW_MS, as long as Kafka can
-- redeliver a command (docs/reliability.md#deduplication-window): command is
-- range-partitioned by week on handled_at, and the handler drops the weeks that
-- left the window and creates the next ones (partitions.go). A partitioned
-- table cannot have a unique key on id alone; why an id is still decided once:
-- internal/app/commands/path.go ("one record per command id").
ALTER TABLE command RENAME TO command_flat;
-- A partition has the parent's key (id, handled_at), no key of its own.
ALTER TABLE command_flat DROP CONSTRAINT command_pkey;
ALTER INDEX command_kafka_position RENAME TO command_flat_kafka_position;
CREATE TABLE command (LIKE command_flat INCLUDING DEFAULTS) PARTITION BY RANGE (handled_at);
ALTER TABLE command ADD PRIMARY KEY (id, handled_at);
CREATE INDEX command_kafka_position ON command (kafka_partition, kafka_offset);
-- The rows so far become one partition up to the end of today (UTC), named
-- for that bound, and leave with the window like any other partition.
DO $$
DECLARE
    upto timestamptz := date_trunc('day', now(), 'UTC') + interval '1 day';
    name text := 'command_before_d' || to_char(upto AT TIME ZONE 'UTC', 'YYYYMMDD');
BEGIN
    EXECUTE format('ALTER TABLE command_flat RENAME TO %I', name);
    EXECUTE format('ALTER TABLE command ATTACH PARTITION %I FOR VALUES FROM (MINVALUE) TO (%L)', name, upto);
END $$;
