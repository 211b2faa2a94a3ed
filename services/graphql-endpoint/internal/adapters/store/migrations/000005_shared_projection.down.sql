DROP TRIGGER transactions_notify ON transactions;
DROP FUNCTION notify_transactions();
DROP INDEX transactions_partition_offset;
ALTER TABLE transactions DROP COLUMN kafka_partition, DROP COLUMN kafka_offset, DROP COLUMN kafka_ts;
