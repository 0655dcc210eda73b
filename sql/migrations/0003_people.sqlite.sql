-- ibc — 0003 the school's people (SQLite). Keep in step with
-- 0003_people.pg.sql: they differ in id generation, STRICT tables, the
-- bytewise sort-key columns (SQLite's default BINARY here, COLLATE "C"
-- there) and the order the two circular references are made in: person.
-- class_id -> school_class and school_class.teacher_id -> person. SQLite
-- cannot add a constraint later but allows a foreign key to name a table
-- created after it, so person comes first here.
-- Timestamps are ISO-8601 UTC text 'YYYY-MM-DDTHH:MM:SSZ' set by the code.
-- Cross-school references (a class of another school) are refused by the
-- store, which checks org_id on every referenced row.

-- One account of one school. roles: bits of enum role (people.h).
-- Names may be NULL only after anonymisation; the store requires them.
CREATE TABLE person (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES org (id) ON DELETE CASCADE,
    login TEXT NOT NULL CHECK (login <> ''),
    last_name TEXT,
    first_name TEXT,
    middle_name TEXT,
    birth_date TEXT CHECK (birth_date IS NULL
                           OR birth_date LIKE '____-__-__'),
    email TEXT,
    roles INTEGER NOT NULL CHECK (roles > 0),
    class_id INTEGER REFERENCES school_class (id) ON DELETE SET NULL,
    password_hash TEXT,
    must_change_password INTEGER NOT NULL DEFAULT 0
        CHECK (must_change_password IN (0, 1)),
    status TEXT NOT NULL DEFAULT 'active'
        CHECK (status IN ('active', 'left', 'anonymised')),
    sort_key TEXT NOT NULL,  -- collate_key("last first middle"), hex
    created_at TEXT NOT NULL CHECK (created_at LIKE '____-__-__T__:__:__Z'),
    updated_at TEXT NOT NULL CHECK (updated_at LIKE '____-__-__T__:__:__Z'),
    UNIQUE (org_id, login)
) STRICT;

CREATE INDEX person_org_sort ON person (org_id, sort_key);
CREATE INDEX person_class ON person (class_id);

-- A class of a school year: «5А», level 5, 2026 for 2026/27.
CREATE TABLE school_class (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES org (id) ON DELETE CASCADE,
    name TEXT NOT NULL CHECK (name <> ''),
    level INTEGER NOT NULL CHECK (level BETWEEN 1 AND 11),
    school_year INTEGER NOT NULL CHECK (school_year BETWEEN 2000 AND 2100),
    teacher_id INTEGER REFERENCES person (id) ON DELETE SET NULL,
    sort_key TEXT NOT NULL,  -- collate_key(name), hex
    created_at TEXT NOT NULL CHECK (created_at LIKE '____-__-__T__:__:__Z'),
    UNIQUE (org_id, school_year, name)
) STRICT;

CREATE INDEX school_class_teacher ON school_class (teacher_id);

-- A parent and their child (both people of the school).
CREATE TABLE parent_link (
    org_id INTEGER NOT NULL REFERENCES org (id) ON DELETE CASCADE,
    parent_id INTEGER NOT NULL REFERENCES person (id) ON DELETE CASCADE,
    child_id INTEGER NOT NULL REFERENCES person (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL CHECK (created_at LIKE '____-__-__T__:__:__Z'),
    PRIMARY KEY (parent_id, child_id),
    CHECK (parent_id <> child_id)
) STRICT;

CREATE INDEX parent_link_child ON parent_link (child_id);

-- One-time codes that link a parent to a child. Only the SHA-256 (hex) of
-- the normalised code is kept: the codes carry 60 random bits, so a fast
-- hash is enough.
CREATE TABLE parent_code (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES org (id) ON DELETE CASCADE,
    child_id INTEGER NOT NULL REFERENCES person (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL UNIQUE CHECK (length(code_hash) = 64),
    created_at TEXT NOT NULL CHECK (created_at LIKE '____-__-__T__:__:__Z'),
    expires_at TEXT NOT NULL CHECK (expires_at LIKE '____-__-__T__:__:__Z'),
    used_at TEXT CHECK (used_at IS NULL
                        OR used_at LIKE '____-__-__T__:__:__Z'),
    used_by INTEGER REFERENCES person (id) ON DELETE SET NULL
) STRICT;

CREATE INDEX parent_code_child ON parent_code (child_id);
