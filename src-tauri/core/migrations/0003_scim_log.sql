-- The SCIM log: one row per request on the SCIM listener, redacted before it was written
-- (see src/logs). `seq` orders the log and is the paging cursor.

CREATE TABLE scim_log (
    seq                 INTEGER PRIMARY KEY,
    at                  INTEGER NOT NULL,
    -- Bytes of headers and bodies, for the size-based retention.
    size                INTEGER NOT NULL,
    provider_id         TEXT,
    method              TEXT NOT NULL,
    path                TEXT NOT NULL,
    query               TEXT,
    request_headers     TEXT NOT NULL,
    request_body        TEXT NOT NULL,
    request_json        INTEGER NOT NULL,
    request_truncated   INTEGER,
    status              INTEGER NOT NULL,
    response_headers    TEXT NOT NULL,
    response_body       TEXT NOT NULL,
    response_json       INTEGER NOT NULL,
    response_truncated  INTEGER,
    duration_us         INTEGER NOT NULL,
    client_addr         TEXT,
    user_agent          TEXT,
    idp                 TEXT NOT NULL,
    idp_reason          TEXT NOT NULL,
    resources           TEXT NOT NULL,
    trace               TEXT NOT NULL
);
CREATE INDEX scim_log_provider ON scim_log(provider_id, seq);
CREATE INDEX scim_log_status ON scim_log(status, seq);
-- Retention sums sizes newest first: this index answers it without reading the rows.
CREATE INDEX scim_log_size ON scim_log(seq, size);
