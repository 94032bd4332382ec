-- A replayed exchange names the exchange it re-sent (POST /admin/api/scim-log/{seq}/replay).
ALTER TABLE scim_log ADD COLUMN replay_of INTEGER;
CREATE INDEX scim_log_replay ON scim_log(replay_of) WHERE replay_of IS NOT NULL;
