ALTER TABLE transfer_results DROP COLUMN token_sealed, ADD COLUMN token text;
ALTER TABLE accounts DROP COLUMN token_sealed, ADD COLUMN token text;
