-- Why a published target's metrics are not collected, when its platform does not share them
-- with apps (LinkedIn's personal posts, for one): shown on the post's analytics instead of
-- "not collected yet". Empty for every target whose metrics are collected.
ALTER TABLE post_targets ADD COLUMN metrics_note text NOT NULL DEFAULT '';
