-- The SCIM log in pages: each write of the log writer (up to one 100 ms window of exchanges)
-- is one row holding its entries, oldest first, as length-prefixed fields compressed with LZ4. A batch of one
-- IdP's exchanges repeats the same headers, keys and shapes, so it compresses about 10:1, and
-- writing it costs about 2 µs per exchange instead of 9 µs for a row per exchange
-- (BENCHMARKS.md). Entries are numbered consecutively across pages (`seq`). Filters run in
-- Rust over decompressed pages; the columns here let a query skip pages by number and time.
-- Rows of the old `scim_log` table are moved into pages when the store opens.
CREATE TABLE scim_log_page (
    first_seq   INTEGER PRIMARY KEY,
    last_seq    INTEGER NOT NULL,
    first_at    INTEGER NOT NULL,
    last_at     INTEGER NOT NULL,
    entries     INTEGER NOT NULL,
    -- Bytes of the entries' headers and bodies before compression, for the size retention.
    bytes       INTEGER NOT NULL,
    data        BLOB NOT NULL
);
