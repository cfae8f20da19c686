package sandbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// First comments live in sandbox_posts beside the posts, without a table of their own:
// a comment's reference is commentPrefix, its parent post's id, "/" and Herald's
// reference, so it never matches a post's Lookup, and the operator's pages list posts
// without their comments (a post's page shows them under it). Like posts, comments are
// never deduplicated: tests count the rows per reference.
const commentPrefix = "comment/"

func commentReference(parent, ref string) string { return commentPrefix + parent + "/" + ref }

var _ ports.Commenter = (*Sandbox)(nil)

// Comment publishes c under the account's post c.Parent after Config.Latency, as Publish
// does posts: token errors are Publish's, CodeNotFound when the account has no such post,
// CodeInvalid for a comment longer than the sandbox takes, and the configured faults apply
// (Config.Faults is asked with "comment"; a lost answer publishes the comment).
func (s *Sandbox) Comment(ctx context.Context, c domain.Credentials, account domain.Account, cm ports.Comment) (ports.Published, error) {
	userID, err := s.authenticate(ctx, c, account)
	if err != nil {
		return ports.Published{}, err
	}
	if err := s.wait(ctx, s.cfg.Latency); err != nil {
		return ports.Published{}, fmt.Errorf("sandbox: comment: %w", err)
	}
	if err := s.checkParent(ctx, userID, cm.Parent); err != nil {
		return ports.Published{}, err
	}
	if limit := domain.PlatformRules[domain.Sandbox].CommentRunes; utf8.RuneCountInString(cm.Text) > limit || cm.Text == "" {
		return ports.Published{}, domain.Errorf(domain.CodeInvalid, "The sandbox takes comments of 1 to %d characters.", limit)
	}
	fault := s.fault("comment")
	if err := fault.err(); err != nil {
		return ports.Published{}, err
	}
	now := s.now()
	var id string
	err = s.db.QueryRowContext(ctx, `
		WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true))
		INSERT INTO sandbox_posts (user_id, reference, text, published_at)
		SELECT $1, $2, $3, $4 FROM relaxed RETURNING id`,
		userID, commentReference(cm.Parent, cm.Reference), cm.Text, now).Scan(&id)
	if err != nil {
		return ports.Published{}, domain.MaybePublished("The sandbox did not confirm the comment; Herald will look for it before trying again.",
			fmt.Errorf("sandbox: comment: insert: %w", err))
	}
	if fault.Kind == FaultLostAnswer {
		return ports.Published{}, domain.MaybePublished("The sandbox published the comment but its answer was lost (an injected fault); Herald will look for it before trying again.",
			errors.New("sandbox: comment: answer lost on purpose"))
	}
	return ports.Published{ExternalID: id, URL: s.postURL(cm.Parent), At: now}, nil
}

// LookupComment returns the account's earliest comment under c.Parent with c's reference.
func (s *Sandbox) LookupComment(ctx context.Context, c domain.Credentials, account domain.Account, cm ports.Comment) (ports.Published, bool, error) {
	userID, err := s.authenticate(ctx, c, account)
	if err != nil {
		return ports.Published{}, false, err
	}
	if cm.Reference == "" {
		return ports.Published{}, false, domain.Errorf(domain.CodeInvalid, "The sandbox looks comments up by their reference, and this one has none.")
	}
	if err := s.checkParent(ctx, userID, cm.Parent); err != nil {
		return ports.Published{}, false, err
	}
	var row struct {
		ID          string `db:"id"`
		PublishedAt sql.NullTime
	}
	err = s.db.QueryRowContext(ctx, `
		SELECT id, published_at FROM sandbox_posts
		WHERE user_id = $1 AND reference = $2
		ORDER BY published_at, id LIMIT 1`, userID, commentReference(cm.Parent, cm.Reference)).Scan(&row.ID, &row.PublishedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return ports.Published{}, false, nil
	}
	if err != nil {
		return ports.Published{}, false, fmt.Errorf("sandbox: lookup comment: %w", err)
	}
	return ports.Published{ExternalID: row.ID, URL: s.postURL(cm.Parent), At: row.PublishedAt.Time.UTC()}, true, nil
}

// checkParent returns CodeNotFound unless the user has the post parent.
func (s *Sandbox) checkParent(ctx context.Context, userID, parent string) error {
	notFound := domain.Errorf(domain.CodeNotFound, "The sandbox has no post %q on this account to comment under.", parent)
	if !domain.IsUUID(parent) {
		return notFound
	}
	var ok bool
	err := s.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM sandbox_posts WHERE id = $1 AND user_id = $2 AND NOT starts_with(reference, $3))`,
		parent, userID, commentPrefix).Scan(&ok)
	if err != nil {
		return fmt.Errorf("sandbox: comment: parent: %w", err)
	}
	if !ok {
		return notFound
	}
	return nil
}
