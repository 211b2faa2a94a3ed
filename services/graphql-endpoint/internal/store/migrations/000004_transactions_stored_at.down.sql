ALTER TABLE transactions DROP COLUMN stored_at;
