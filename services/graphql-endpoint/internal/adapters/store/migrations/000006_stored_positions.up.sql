-- The notification names, per partition, the newest offset the statement
-- stored ("3:1041,7:998"): a gateway that has handed those rows on already
-- (it stored them itself) does not read the table for them.
CREATE OR REPLACE FUNCTION notify_transactions() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    positions text;
BEGIN
    SELECT string_agg(kafka_partition || ':' || newest, ',') INTO positions
      FROM (SELECT kafka_partition, max(kafka_offset) AS newest
              FROM new_rows WHERE kafka_partition IS NOT NULL
             GROUP BY kafka_partition) p;
    IF EXISTS (SELECT 1 FROM new_rows) THEN
        PERFORM pg_notify('transactions', COALESCE(positions, ''));
    END IF;
    RETURN NULL;
END $$;
