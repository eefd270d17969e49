-- What each stored digest was built from, so an unchanged re-run reuses it instead of rebuilding the week.
-- inputs_sha256 is the sha256 fingerprint of everything the build reads (the week's articles with their scores,
-- entities and duplicate copies, the threshold, the previous week's counts, the earlier digests' stories, the
-- week's coverage problems) and of the digest code (tasks/digest.py::inputs_fingerprint). NULL for digests
-- stored before this migration: they never match, so their week is rebuilt once.

ALTER TABLE digests ADD COLUMN inputs_sha256 VARCHAR;
