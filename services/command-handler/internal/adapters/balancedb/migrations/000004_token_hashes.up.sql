-- Tokens are kept only as keyed hashes (HMAC-SHA256 under TOKEN_KEY,
-- docs/security-limits.md), compared in constant time. A migration cannot
-- know the key, so clear tokens of an existing database are dropped, not
-- hashed: this change needs a fresh database (the accounts would keep their
-- money but open to no token). The bank's own account gets its hash from
-- BANK_TOKEN when the handler starts; until then no token opens it.
ALTER TABLE balance DROP COLUMN token, ADD COLUMN token_hash bytea;
-- A confirmed creation's token is derived from its command id under the same
-- key when its answer is sent again; no token is stored with commands.
ALTER TABLE command DROP COLUMN token;
