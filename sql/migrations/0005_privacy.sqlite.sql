-- ibc — 0005 privacy: audit log, consents, pseudonym keys, rollups
-- (SQLite). Keep in step with 0005_privacy.pg.sql: they differ only in id
-- generation (INTEGER PRIMARY KEY here, identity columns there) and in
-- SQLite's STRICT tables.
-- Timestamps are ISO-8601 UTC text 'YYYY-MM-DDTHH:MM:SSZ' set by the code.

-- Who did what, when and from where. The actor's login is kept as text so
-- the log survives the person's deletion; actor_person_id NULL = the
-- system. client_addr is cleared by the retention job after the school's
-- period (org_setting retention_days).
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES org (id) ON DELETE CASCADE,
    at TEXT NOT NULL CHECK (at LIKE '____-__-__T__:__:__Z'),
    actor_person_id INTEGER REFERENCES person (id) ON DELETE SET NULL,
    actor_login TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action <> ''),
    object_type TEXT,
    object_id INTEGER,
    details TEXT,
    client_addr TEXT
) STRICT;

CREATE INDEX audit_log_org_at ON audit_log (org_id, at);
CREATE INDEX audit_log_org_actor ON audit_log (org_id, actor_login);
CREATE INDEX audit_log_org_action ON audit_log (org_id, action);
CREATE INDEX audit_log_org_object ON audit_log (org_id, object_type, object_id);

-- Typed consents for a child's data; in force while withdrawn_at is NULL.
CREATE TABLE consent (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES org (id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL REFERENCES person (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('library_processing', 'reading_history',
                                       'name_to_classmates', 'publish_works')),
    given_at TEXT NOT NULL CHECK (given_at LIKE '____-__-__T__:__:__Z'),
    given_by INTEGER REFERENCES person (id) ON DELETE SET NULL,
    taken_by INTEGER REFERENCES person (id) ON DELETE SET NULL,
    withdrawn_at TEXT CHECK (withdrawn_at IS NULL
                             OR withdrawn_at LIKE '____-__-__T__:__:__Z'),
    withdrawn_by INTEGER REFERENCES person (id) ON DELETE SET NULL,
    note TEXT
) STRICT;

-- At most one consent of a kind in force per person.
CREATE UNIQUE INDEX consent_in_force ON consent (org_id, person_id, kind)
    WHERE withdrawn_at IS NULL;
CREATE INDEX consent_person ON consent (person_id);

-- Per-school, per-school-year HMAC keys for pseudonyms (64 hex digits).
CREATE TABLE pseudonym_key (
    org_id INTEGER NOT NULL REFERENCES org (id) ON DELETE CASCADE,
    school_year INTEGER NOT NULL CHECK (school_year BETWEEN 2000 AND 2200),
    key TEXT NOT NULL CHECK (length(key) = 64),
    created_at TEXT NOT NULL CHECK (created_at LIKE '____-__-__T__:__:__Z'),
    PRIMARY KEY (org_id, school_year)
) STRICT;

-- Counts that outlive the retention period: by day, metric, class level
-- (dim1, 0 = none) and subject (dim2, '' = none).
CREATE TABLE stat_daily (
    org_id INTEGER NOT NULL REFERENCES org (id) ON DELETE CASCADE,
    day TEXT NOT NULL CHECK (day LIKE '____-__-__'),
    metric TEXT NOT NULL CHECK (metric <> ''),
    dim1 INTEGER NOT NULL DEFAULT 0,
    dim2 TEXT NOT NULL DEFAULT '',
    count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, day, metric, dim1, dim2)
) STRICT;
