ALTER TABLE command ADD COLUMN token text;
ALTER TABLE balance DROP COLUMN token_hash, ADD COLUMN token text NOT NULL DEFAULT '';
