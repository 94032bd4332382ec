-- The site model: settings, provider options, the site side of users and groups (status,
-- role, provisioning fields), site memberships next to the IdP's, the history log and user
-- lifecycle rules.

CREATE TABLE settings (
    id                              INTEGER PRIMARY KEY CHECK (id = 1),
    name                            TEXT NOT NULL DEFAULT 'SCIM Workbench',
    require_2fa                     INTEGER NOT NULL DEFAULT 0,
    time_zone                       TEXT NOT NULL DEFAULT 'UTC',
    allow_manual_user_management    INTEGER NOT NULL DEFAULT 1,
    allow_manual_group_management   INTEGER NOT NULL DEFAULT 1,
    updated_at                      INTEGER NOT NULL DEFAULT 0
);
INSERT INTO settings (id) VALUES (1);

-- The provisioning options as one JSON object with SPEC.md's field names (validated by the site).
ALTER TABLE providers ADD COLUMN options TEXT NOT NULL DEFAULT '{}';

-- A user row is the site account and, when `managed`, the managing provider's SCIM resource.
-- `scim_deleted`: the IdP deleted it but the account is kept (disabled); the provider no longer
-- sees it. `idp_groups`: the group names the IdP sent on the user (NULL when it sends none).
ALTER TABLE users ADD COLUMN email TEXT;
ALTER TABLE users ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
ALTER TABLE users ADD COLUMN held_reason TEXT;
ALTER TABLE users ADD COLUMN disabled_reason TEXT;
ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'user';
ALTER TABLE users ADD COLUMN authentication_method TEXT NOT NULL DEFAULT 'sso';
ALTER TABLE users ADD COLUMN managed INTEGER NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN scim_deleted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN require_2fa INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN dav_permission INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN ftp_permission INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN sftp_permission INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN time_zone TEXT;
ALTER TABLE users ADD COLUMN company TEXT;
ALTER TABLE users ADD COLUMN last_login_at INTEGER;
ALTER TABLE users ADD COLUMN idp_groups TEXT;
ALTER TABLE users ADD COLUMN status_changed_at INTEGER;
CREATE INDEX users_status ON users(status);

-- A group row is a site group and, when `managed`, the provider's SCIM group; `held` groups are
-- the IdP's record without a site group.
ALTER TABLE groups ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
ALTER TABLE groups ADD COLUMN held_reason TEXT;
ALTER TABLE groups ADD COLUMN managed INTEGER NOT NULL DEFAULT 1;

-- One row per (group, member) either side knows: `scim` = the IdP lists it, `site` = it is a
-- member on the site, `admin` = it administers the group.
ALTER TABLE group_members ADD COLUMN scim INTEGER NOT NULL DEFAULT 1;
ALTER TABLE group_members ADD COLUMN site INTEGER NOT NULL DEFAULT 1;
ALTER TABLE group_members ADD COLUMN admin INTEGER NOT NULL DEFAULT 0;

-- One human-readable entry per account change.
CREATE TABLE history (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    at           INTEGER NOT NULL,
    interface    TEXT NOT NULL,
    action       TEXT NOT NULL,
    target_type  TEXT NOT NULL,
    target_id    TEXT,
    target_name  TEXT,
    provider_id  TEXT,
    detail       TEXT NOT NULL,
    trace        TEXT
);
CREATE INDEX history_at ON history(at);
CREATE INDEX history_target ON history(target_id);

CREATE TABLE lifecycle_rules (
    id                      TEXT PRIMARY KEY,
    name                    TEXT NOT NULL,
    authentication_method   TEXT NOT NULL DEFAULT 'all',
    inactivity_days         INTEGER NOT NULL,
    include_site_admins     INTEGER NOT NULL DEFAULT 0,
    include_folder_admins   INTEGER NOT NULL DEFAULT 0,
    action                  TEXT NOT NULL,
    user_state              TEXT NOT NULL,
    enabled                 INTEGER NOT NULL DEFAULT 1,
    created_at              INTEGER NOT NULL,
    updated_at              INTEGER NOT NULL,
    last_run_at             INTEGER
);
