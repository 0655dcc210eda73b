-- ibc — 0001 core schema (SQLite). Keep in step with 0001_core.pg.sql:
-- the two differ only in how ids are generated (INTEGER PRIMARY KEY, the
-- rowid, here; identity columns there) and in SQLite's STRICT tables,
-- which make SQLite refuse wrongly typed values as PostgreSQL does.
-- Timestamps are ISO-8601 UTC text 'YYYY-MM-DDTHH:MM:SSZ' set by the code.
-- Every domain table carries org_id (one server can hold several schools).

-- A school (organisation).
CREATE TABLE org (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE CHECK (code <> ''),    -- short code, 'sch12'
    name TEXT NOT NULL CHECK (name <> ''),           -- full name
    short_name TEXT NOT NULL CHECK (short_name <> ''),
    city TEXT,
    created_at TEXT NOT NULL CHECK (created_at LIKE '____-__-__T__:__:__Z')
) STRICT;

-- Per-school settings, key -> value text.
CREATE TABLE org_setting (
    org_id INTEGER NOT NULL REFERENCES org (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT,
    PRIMARY KEY (org_id, key)
) STRICT;

-- News on the school library's public page.
CREATE TABLE news (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES org (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    published_at TEXT NOT NULL
        CHECK (published_at LIKE '____-__-__T__:__:__Z'),
    created_at TEXT NOT NULL CHECK (created_at LIKE '____-__-__T__:__:__Z')
) STRICT;

CREATE INDEX news_org_published ON news (org_id, published_at);
