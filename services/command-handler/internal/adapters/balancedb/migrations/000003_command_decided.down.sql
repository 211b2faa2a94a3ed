DROP INDEX command_kafka_position;
ALTER TABLE command DROP COLUMN decided_batch, DROP COLUMN decided_pos;
DROP SEQUENCE command_batch_seq;
