DROP TRIGGER post_targets_notify_delete ON post_targets;
DROP TRIGGER post_targets_notify_update ON post_targets;
DROP TRIGGER post_targets_notify_insert ON post_targets;
DROP TRIGGER posts_notify_delete ON posts;
DROP TRIGGER posts_notify_update ON posts;
DROP TRIGGER posts_notify_insert ON posts;
DROP FUNCTION herald_post_target_updated();
DROP FUNCTION herald_posts_deleted();
DROP FUNCTION herald_posts_inserted_or_updated();
