-- Tokens are kept sealed (AES-256-GCM under TOKEN_SEAL_KEY, bound to their
-- row: an account's creation_id, a transfer's id), never in clear
-- (docs/security-limits.md). A migration cannot know the key, so clear tokens
-- of an existing database are dropped, not sealed: this change needs a fresh
-- database (logins would give no token). A transfer's sealed token is kept
-- only until its answer is recorded.
ALTER TABLE accounts DROP COLUMN token, ADD COLUMN token_sealed bytea;
ALTER TABLE transfer_results DROP COLUMN token, ADD COLUMN token_sealed bytea;
