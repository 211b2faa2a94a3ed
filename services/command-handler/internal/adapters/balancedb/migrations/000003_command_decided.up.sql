-- The order in which commands were decided, so that after a crash the events of
-- commands decided but perhaps never published are sent again in that order
-- (an account's BalanceChanged events must reach Kafka in the order of its
-- balances). A batch takes one number from the sequence after it has locked its
-- accounts, so of two batches on one account the later has the higher number;
-- decided_pos is the command's place in its batch. NULL for older rows.
CREATE SEQUENCE command_batch_seq;
ALTER TABLE command ADD COLUMN decided_batch bigint, ADD COLUMN decided_pos integer;
-- Finds the commands read at or after a partition's committed offset.
CREATE INDEX command_kafka_position ON command (kafka_partition, kafka_offset);
