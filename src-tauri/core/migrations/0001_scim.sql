-- SSO providers, their SCIM credentials, and the users and groups they provision.
-- Times are Unix milliseconds. Text keys ending in `_key` hold the value case-folded by the
-- protocol crate's rule, so case-insensitive lookups are index lookups.

CREATE TABLE providers (
    id                          TEXT PRIMARY KEY,
    name                        TEXT NOT NULL,
    kind                        TEXT NOT NULL,
    scim_authentication_method  TEXT NOT NULL DEFAULT 'token',
    created_at                  INTEGER NOT NULL,
    updated_at                  INTEGER NOT NULL
);

-- One row per SCIM credential: a bearer token (`token`) or a Basic username/password (`basic`).
-- Only the SHA-256 of the secret is stored.
CREATE TABLE credentials (
    id            TEXT PRIMARY KEY,
    provider_id   TEXT NOT NULL REFERENCES providers(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL CHECK (kind IN ('token', 'basic')),
    username      TEXT,
    secret_hash   BLOB NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER,
    revoked_at    INTEGER,
    last_used_at  INTEGER
);
CREATE UNIQUE INDEX credentials_username ON credentials(username) WHERE username IS NOT NULL;
CREATE INDEX credentials_provider ON credentials(provider_id);

-- `seq` orders users stably for paging; `id` is the SCIM id. `resource` is the canonical SCIM
-- JSON without id/meta/groups/password; `folded` is the same with case-insensitive strings
-- folded, for filters.
CREATE TABLE users (
    seq               INTEGER PRIMARY KEY AUTOINCREMENT,
    id                TEXT NOT NULL,
    provider_id       TEXT REFERENCES providers(id) ON DELETE SET NULL,
    user_name         TEXT NOT NULL,
    user_name_key     TEXT NOT NULL,
    external_id       TEXT,
    display_name_key  TEXT,
    active            INTEGER,
    password_set      INTEGER NOT NULL DEFAULT 0,
    resource          TEXT NOT NULL,
    folded            TEXT NOT NULL,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    version           INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX users_id ON users(id);
CREATE UNIQUE INDEX users_user_name_key ON users(user_name_key);
CREATE INDEX users_provider_seq ON users(provider_id, seq);
CREATE INDEX users_external_id ON users(external_id) WHERE external_id IS NOT NULL;
CREATE INDEX users_display_name_key ON users(display_name_key) WHERE display_name_key IS NOT NULL;

CREATE TABLE groups (
    seq               INTEGER PRIMARY KEY AUTOINCREMENT,
    id                TEXT NOT NULL,
    provider_id       TEXT REFERENCES providers(id) ON DELETE SET NULL,
    display_name      TEXT NOT NULL,
    display_name_key  TEXT NOT NULL,
    external_id       TEXT,
    resource          TEXT NOT NULL,
    folded            TEXT NOT NULL,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    version           INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX groups_id ON groups(id);
CREATE UNIQUE INDEX groups_display_name_key ON groups(display_name_key);
CREATE INDEX groups_provider_seq ON groups(provider_id, seq);
CREATE INDEX groups_external_id ON groups(external_id) WHERE external_id IS NOT NULL;

-- Memberships as rows: adding one member to a group of 50,000 is one insert.
-- `member_id` is the SCIM id of a user or group; `display` is what the IdP sent, if anything.
CREATE TABLE group_members (
    group_seq    INTEGER NOT NULL REFERENCES groups(seq) ON DELETE CASCADE,
    member_id    TEXT NOT NULL,
    member_type  TEXT NOT NULL CHECK (member_type IN ('User', 'Group')),
    display      TEXT,
    added_at     INTEGER NOT NULL,
    PRIMARY KEY (group_seq, member_id)
) WITHOUT ROWID;
CREATE INDEX group_members_member ON group_members(member_id);

-- A deleted user or group leaves no membership behind.
CREATE TRIGGER users_delete_memberships AFTER DELETE ON users BEGIN
    DELETE FROM group_members WHERE member_id = OLD.id;
END;
CREATE TRIGGER groups_delete_memberships AFTER DELETE ON groups BEGIN
    DELETE FROM group_members WHERE member_id = OLD.id;
END;
