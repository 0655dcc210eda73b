-- ibc — 0007 password reset by e-mail (SQLite). Keep in step with
-- 0007_password_reset.pg.sql: they differ only in id generation, SQLite's
-- STRICT tables and INTEGER for BIGINT.
-- Timestamps are ISO-8601 UTC text 'YYYY-MM-DDTHH:MM:SSZ' set by the code.

-- A reset an adult asked for at /reset: the link in the e-mail carries 256
-- random bits; token_hash is their SHA-256 (hex), so a copy of the database
-- opens no reset. Good until expires_at (an hour) and only once: used_at
-- is set when the new password is stored (and on the person's other open
-- resets then). Children's passwords are reset by the librarian instead.
CREATE TABLE password_reset (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES org (id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL REFERENCES person (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE CHECK (length(token_hash) = 64),
    created_at TEXT NOT NULL CHECK (created_at LIKE '____-__-__T__:__:__Z'),
    expires_at TEXT NOT NULL CHECK (expires_at LIKE '____-__-__T__:__:__Z'),
    used_at TEXT CHECK (used_at IS NULL
                        OR used_at LIKE '____-__-__T__:__:__Z')
) STRICT;

CREATE INDEX password_reset_person ON password_reset (org_id, person_id);
