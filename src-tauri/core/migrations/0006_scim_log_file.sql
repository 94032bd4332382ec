-- The SCIM log's pages move into the log's own database file, attached as `log` to every
-- connection (`store::LogDatabase`): each commit to a database makes SQLite's other
-- connections drop their caches of it, and the log commits ten times a second while an IdP is
-- busy. In the main file, that cost the SCIM server's reads more than the log's writes did.
-- The log's file has its own schema (`store::scim_log::SCHEMA`, created when the writer
-- attaches it); queries keep naming `scim_log_page` alone, and SQLite finds it in `log` once
-- it is gone from `main`.
INSERT INTO log.scim_log_page (first_seq, last_seq, first_at, last_at, entries, bytes, data)
    SELECT first_seq, last_seq, first_at, last_at, entries, bytes, data FROM main.scim_log_page;
DROP TABLE main.scim_log_page;
