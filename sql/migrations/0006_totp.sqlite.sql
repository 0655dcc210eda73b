-- ibc — 0006 second factor: TOTP secrets and pending code sign-ins
-- (SQLite). Keep in step with 0006_totp.pg.sql: they differ only in
-- SQLite's STRICT tables and INTEGER for BIGINT.
-- Timestamps are ISO-8601 UTC text 'YYYY-MM-DDTHH:MM:SSZ' set by the code.

-- A staff member's TOTP secret (RFC 6238, 30-s steps, 6 digits). The
-- 20-byte secret is never stored in clear: secret_enc is hex of a random
-- nonce followed by crypto_secretbox_easy of the secret under a key
-- derived from the server secret (src/auth/totp.c). last_step is the
-- 30-s step of the last accepted code: a code is accepted once.
CREATE TABLE person_totp (
    org_id INTEGER NOT NULL REFERENCES org (id) ON DELETE CASCADE,
    person_id INTEGER PRIMARY KEY REFERENCES person (id) ON DELETE CASCADE,
    secret_enc TEXT NOT NULL CHECK (secret_enc <> ''),
    enabled_at TEXT NOT NULL CHECK (enabled_at LIKE '____-__-__T__:__:__Z'),
    last_step INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX person_totp_org ON person_totp (org_id, person_id);

-- A sign-in waiting for its code: the right password was given by a
-- person with TOTP enabled. The browser holds 256 random bits in its own
-- cookie; id_hash is their SHA-256. Such a browser is not signed in: it
-- may only send the code (/signin/code) until expires_at (5 minutes).
CREATE TABLE totp_pending (
    id_hash TEXT PRIMARY KEY CHECK (length(id_hash) = 64),
    org_id INTEGER NOT NULL REFERENCES org (id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL REFERENCES person (id) ON DELETE CASCADE,
    back TEXT NOT NULL,
    expires_at TEXT NOT NULL CHECK (expires_at LIKE '____-__-__T__:__:__Z')
) STRICT;

CREATE INDEX totp_pending_person ON totp_pending (org_id, person_id);
