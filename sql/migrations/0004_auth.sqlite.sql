-- ibc — 0004 sign-in: sessions and API tokens (SQLite). Keep in step with
-- 0004_auth.pg.sql: they differ in id generation and STRICT tables.
-- Timestamps are ISO-8601 UTC text 'YYYY-MM-DDTHH:MM:SSZ' set by the code.
-- Neither table holds a secret: only SHA-256 (hex) of the random values
-- that live in the browser's cookie or the script's configuration.

-- A browser's session. The cookie holds 256 random bits; id_hash is their
-- SHA-256, so a copy of the database opens no session.
CREATE TABLE session (
    id_hash TEXT PRIMARY KEY CHECK (length(id_hash) = 64),
    org_id INTEGER NOT NULL REFERENCES org (id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL REFERENCES person (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL CHECK (created_at LIKE '____-__-__T__:__:__Z'),
    last_seen_at TEXT NOT NULL
        CHECK (last_seen_at LIKE '____-__-__T__:__:__Z'),
    expires_at TEXT NOT NULL CHECK (expires_at LIKE '____-__-__T__:__:__Z'),
    client_addr TEXT,
    user_agent TEXT
) STRICT;

CREATE INDEX session_person ON session (org_id, person_id);

-- A token for scripts and reading apps: Authorization: Bearer. scope
-- 'read' may only GET; revoked tokens stay listed with their last use.
CREATE TABLE api_token (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES org (id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL REFERENCES person (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE CHECK (length(token_hash) = 64),
    name TEXT NOT NULL CHECK (name <> ''),
    scope TEXT NOT NULL CHECK (scope IN ('read', 'write')),
    created_at TEXT NOT NULL CHECK (created_at LIKE '____-__-__T__:__:__Z'),
    last_used_at TEXT CHECK (last_used_at IS NULL
                             OR last_used_at LIKE '____-__-__T__:__:__Z'),
    revoked_at TEXT CHECK (revoked_at IS NULL
                           OR revoked_at LIKE '____-__-__T__:__:__Z')
) STRICT;

CREATE INDEX api_token_person ON api_token (org_id, person_id);
