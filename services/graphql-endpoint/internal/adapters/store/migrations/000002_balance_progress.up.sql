-- How far balance_changed is stored, per partition (any instance's work), so
-- an instance with a new consumer group starts there instead of replaying the
-- whole topic.
CREATE TABLE balance_progress (
    kafka_partition integer PRIMARY KEY,
    next_offset     bigint NOT NULL
);
