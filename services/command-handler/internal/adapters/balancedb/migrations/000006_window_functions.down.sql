DROP FUNCTION command_partition_drop(text);
DROP FUNCTION command_partition_create(text, timestamptz, timestamptz);
