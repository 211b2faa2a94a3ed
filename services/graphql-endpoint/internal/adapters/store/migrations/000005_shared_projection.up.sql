-- Where each row's BalanceChanged is in balance_changed, so every gateway
-- streams rows per partition in offset order after a cursor of its own
-- (row ids are not committed in order across concurrent transactions; one
-- partition's rows are, see store.AddTransactions). Rows stored before this
-- migration have none and are history only.
ALTER TABLE transactions
    ADD COLUMN kafka_partition integer,
    ADD COLUMN kafka_offset    bigint,
    ADD COLUMN kafka_ts        timestamptz;
CREATE INDEX transactions_partition_offset ON transactions (kafka_partition, kafka_offset)
    WHERE kafka_partition IS NOT NULL;

-- One notification per statement that stored rows, delivered to every
-- listening gateway at commit: they then read the new rows.
CREATE FUNCTION notify_transactions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM new_rows) THEN
        PERFORM pg_notify('transactions', '');
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER transactions_notify AFTER INSERT ON transactions
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION notify_transactions();
