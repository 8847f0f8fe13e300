-- Code packages no version or function references are collected by the leader once
-- untouched for [retention] code_blob_seconds; storing a package again touches it, so
-- one uploaded again while the collector runs is never taken from under its version.
ALTER TABLE code_blobs ADD COLUMN IF NOT EXISTS touched_at DATETIME(3) NULL;
UPDATE code_blobs SET touched_at = created_at WHERE touched_at IS NULL;
ALTER TABLE functions ADD KEY IF NOT EXISTS functions_code (code_sha256);
