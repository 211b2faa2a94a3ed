CREATE TABLE command_flat (LIKE command INCLUDING DEFAULTS);
INSERT INTO command_flat SELECT * FROM command;
DROP TABLE command;
ALTER TABLE command_flat RENAME TO command;
ALTER TABLE command ADD PRIMARY KEY (id);
CREATE INDEX command_kafka_position ON command (kafka_partition, kafka_offset);
