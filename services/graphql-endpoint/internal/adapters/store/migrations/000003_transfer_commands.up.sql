-- The command each transfer was sent with, so a retry whose feedback never
-- came can send the very same command again under its id (the command handler
-- answers a repeat with its stored result); sent_at is when it was last sent.
ALTER TABLE transfer_results
    ADD COLUMN token     text,
    ADD COLUMN amount    bigint,
    ADD COLUMN from_iban text,
    ADD COLUMN to_iban   text,
    ADD COLUMN descr     text,
    ADD COLUMN sent_at   timestamptz;
