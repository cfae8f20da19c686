package sandbox

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// Publish publishes p as the account's sandbox user after Config.Latency. It returns
// CodeUnauthenticated for an unknown or expired access token, CodeForbidden for another
// user's token, CodeInvalid for a post the sandbox's rules refuse, ctx's error when ctx ends
// first, and, in the configured fractions (or as Config.Faults says), an injected failure:
// transient (CodeUnavailable, or CodeRateLimited with RetryAfter one second, in turn),
// permanent (CodeInvalid), or a lost answer (the post is published and the error wraps
// domain.ErrMaybePublished). Publishing the same reference twice makes two posts: the
// sandbox never deduplicates.
func (s *Sandbox) Publish(ctx context.Context, c domain.Credentials, account domain.Account, p ports.Publication) (ports.Published, error) {
	userID, err := s.authenticate(ctx, c, account)
	if err != nil {
		return ports.Published{}, err
	}
	if err := s.wait(ctx, s.cfg.Latency); err != nil {
		return ports.Published{}, fmt.Errorf("sandbox: publish: %w", err)
	}
	urls := make([]string, len(p.Media)) // never nil: nil would be NULL
	for i, m := range p.Media {
		urls[i] = m.URL
	}
	kinds := make([]domain.MediaKind, len(p.Media))
	for i, m := range p.Media {
		kinds[i] = m.Kind
	}
	if problems := domain.CheckRules(domain.Sandbox, p.Text, kinds); len(problems) > 0 {
		return ports.Published{}, domain.Errorf(domain.CodeInvalid, "The sandbox rejected this post: it %s.", strings.Join(problems, "; it "))
	}
	fault := s.fault("publish")
	if err := fault.err(); err != nil {
		return ports.Published{}, err
	}

	media, err := receive(ctx, p.Media)
	if err != nil {
		return ports.Published{}, err
	}
	received, err := json.Marshal(media)
	if err != nil {
		return ports.Published{}, fmt.Errorf("sandbox: publish: encode media: %w", err)
	}
	now := s.now()
	post := &storedPost{UserID: userID, Reference: p.Reference, Text: p.Text, MediaURLs: urls, Media: received, PublishedAt: now}
	if err := s.store(ctx, post); err != nil {
		// The insert may have committed before its answer was lost.
		return ports.Published{}, domain.MaybePublished("The sandbox did not confirm the post; Herald will look for it before trying again.",
			fmt.Errorf("sandbox: publish: %w", err))
	}
	id := post.ID
	s.stored.Add(1)
	if fault.Kind == FaultLostAnswer {
		return ports.Published{}, domain.MaybePublished("The sandbox published the post but its answer was lost (an injected fault); Herald will look for it before trying again.",
			errors.New("sandbox: publish: answer lost on purpose"))
	}
	return ports.Published{ExternalID: id, URL: s.postURL(id), At: now}, nil
}

// ReceivedMedia is what the sandbox received of one media item of a post: the address it
// was given and the file's name and alt text, and for a library file (whose bytes it reads,
// as a platform that takes bytes does) their count and SHA-256 in hex. Size and SHA256 are
// zero for media given by address, which the sandbox never fetches.
type ReceivedMedia struct {
	URL    string `json:"url"`
	Name   string `json:"name,omitempty"`
	Alt    string `json:"alt,omitempty"`
	Size   int64  `json:"size,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
}

// ShortSHA256 is the first 12 hex digits of the SHA-256, as the operator page shows it.
func (m ReceivedMedia) ShortSHA256() string { return m.SHA256[:min(12, len(m.SHA256))] }

// receive reads each library file's bytes through a SHA-256 in one pass (never holding
// them), and describes every item. A file that cannot be read is CodeUnavailable: nothing
// is published, and Herald tries again.
func receive(ctx context.Context, media []ports.PublicationMedia) ([]ReceivedMedia, error) {
	out := make([]ReceivedMedia, len(media))
	for i, m := range media {
		out[i] = ReceivedMedia{URL: m.URL, Name: m.Name, Alt: m.Alt}
		if m.Open == nil {
			continue
		}
		size, sum, err := digestOf(ctx, m)
		if err != nil {
			return nil, &domain.Error{Code: domain.CodeUnavailable, Message: fmt.Sprintf("The sandbox could not read media %d from Herald's storage; try again shortly.", i+1),
				Err: fmt.Errorf("sandbox: publish: read media %d: %w", i+1, err)}
		}
		out[i].Size, out[i].SHA256 = size, sum
	}
	return out, nil
}

// digestOf streams the item's bytes and returns their count and SHA-256 in hex.
func digestOf(ctx context.Context, m ports.PublicationMedia) (int64, string, error) {
	rc, err := m.Open(ctx)
	if err != nil {
		return 0, "", err
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, rc)
	if err != nil {
		return 0, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// Received returns what the sandbox received of the media of its post externalID, in
// order, or CodeNotFound when it has no such post. It is the sandbox's test interface: the
// checks that a platform got exactly the bytes Herald stored read it.
func (s *Sandbox) Received(ctx context.Context, externalID string) ([]ReceivedMedia, error) {
	notFound := domain.Errorf(domain.CodeNotFound, "The sandbox has no post %q.", externalID)
	if !domain.IsUUID(externalID) {
		return nil, notFound
	}
	var raw []byte
	err := s.db.QueryRowContext(ctx, `SELECT media FROM sandbox_posts WHERE id = $1`, externalID).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound
	}
	if err != nil {
		return nil, fmt.Errorf("sandbox: received media: %w", err)
	}
	var media []ReceivedMedia
	if err := json.Unmarshal(raw, &media); err != nil {
		return nil, fmt.Errorf("sandbox: received media: %w", err)
	}
	return media, nil
}

// fault returns the failure op gives on purpose: Config.Faults' answer when it is set, else
// a draw by the configured rates (for a publish or a comment).
func (s *Sandbox) fault(op string) Fault {
	if s.cfg.Faults != nil {
		return s.cfg.Faults(op)
	}
	if op != "publish" && op != "comment" || s.cfg.TransientRate <= 0 && s.cfg.PermanentRate <= 0 && s.cfg.LostRate <= 0 {
		return Fault{}
	}
	r := rand.Float64()
	switch {
	case r < s.cfg.TransientRate:
		if s.transients.Add(1)%2 == 1 {
			return Fault{Kind: FaultUnavailable}
		}
		return Fault{Kind: FaultRateLimited}
	case r < s.cfg.TransientRate+s.cfg.PermanentRate:
		return Fault{Kind: FaultPermanent}
	case r < s.cfg.TransientRate+s.cfg.PermanentRate+s.cfg.LostRate:
		return Fault{Kind: FaultLostAnswer}
	}
	return Fault{}
}

// err is the error a fault answers before anything is published; nil for none and for a
// lost answer, which is given after publishing.
func (f Fault) err() error {
	switch f.Kind {
	case FaultUnavailable:
		return domain.Errorf(domain.CodeUnavailable, "The sandbox is having a moment (503); try again shortly.")
	case FaultRateLimited:
		wait := f.RetryAfter
		if wait <= 0 {
			wait = time.Second
		}
		return &domain.Error{Code: domain.CodeRateLimited, RetryAfter: wait,
			Message: fmt.Sprintf("The sandbox is rate limiting (429); try again in %s.", wait)}
	case FaultPermanent:
		return domain.Errorf(domain.CodeInvalid, "The sandbox rejected this post (an injected permanent failure).")
	}
	return nil
}

// wait returns after d by Config.After (a real timer when it is nil), or ctx's error if ctx
// ends first.
func (s *Sandbox) wait(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	var done <-chan time.Time
	if s.cfg.After != nil {
		done = s.cfg.After(d)
	} else {
		t := time.NewTimer(d)
		defer t.Stop()
		done = t.C
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Lookup returns the account's earliest sandbox post with p's reference and found true, or
// found false when there is none. Token errors are Publish's; an empty reference is
// CodeInvalid, since nothing could be matched by it.
func (s *Sandbox) Lookup(ctx context.Context, c domain.Credentials, account domain.Account, p ports.Publication) (ports.Published, bool, error) {
	userID, err := s.authenticate(ctx, c, account)
	if err != nil {
		return ports.Published{}, false, err
	}
	if p.Reference == "" {
		return ports.Published{}, false, domain.Errorf(domain.CodeInvalid, "The sandbox looks posts up by their reference, and this one has none.")
	}
	var row struct {
		ID          string    `db:"id"`
		PublishedAt time.Time `db:"published_at"`
	}
	err = s.db.GetContext(ctx, &row, `
		SELECT id, published_at FROM sandbox_posts
		WHERE user_id = $1 AND reference = $2
		ORDER BY published_at, id LIMIT 1`, userID, p.Reference)
	if errors.Is(err, sql.ErrNoRows) {
		return ports.Published{}, false, nil
	}
	if err != nil {
		return ports.Published{}, false, fmt.Errorf("sandbox: lookup: %w", err)
	}
	return ports.Published{ExternalID: row.ID, URL: s.postURL(row.ID), At: row.PublishedAt.UTC()}, true, nil
}

// Metrics returns the numbers of the account's post externalID now: they grow with the
// post's age, never decrease, and are the same for the same post and age. Token errors are
// Publish's; a post the account does not have is CodeNotFound.
func (s *Sandbox) Metrics(ctx context.Context, c domain.Credentials, account domain.Account, externalID string) (domain.Metrics, error) {
	userID, err := s.authenticate(ctx, c, account)
	if err != nil {
		return domain.Metrics{}, err
	}
	notFound := domain.Errorf(domain.CodeNotFound, "The sandbox has no post %q on this account.", externalID)
	if !domain.IsUUID(externalID) {
		return domain.Metrics{}, notFound
	}
	var published time.Time
	err = s.db.GetContext(ctx, &published,
		`SELECT published_at FROM sandbox_posts WHERE id = $1 AND user_id = $2`, externalID, userID)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Metrics{}, notFound
	}
	if err != nil {
		return domain.Metrics{}, fmt.Errorf("sandbox: metrics: %w", err)
	}
	return metricsAt(externalID, published, s.now()), nil
}

// metricsAt returns the numbers of post id, published at published, as seen at now.
// Impressions approach a ceiling along ceiling*age/(age+half), with the ceiling and the
// half-time drawn from the id's hash; the other numbers are fixed fractions of impressions.
// All arithmetic is on integers, so a later now never gives a smaller number.
func metricsAt(id string, published, now time.Time) domain.Metrics {
	age := int64(now.Sub(published) / time.Second)
	if age <= 0 {
		return domain.Metrics{}
	}
	h := fnv.New64a()
	h.Write([]byte(id))
	x := h.Sum64()
	ceiling := int64(1_000 + x%9_000)    // impressions the post tends to
	half := int64(1_800 + (x>>16)%5_400) // seconds to reach half of them
	impressions := ceiling * age / (age + half)
	permille := func(shift, lo, span uint64) int64 { return impressions * int64(lo+(x>>shift)%span) / 1000 }
	return domain.Metrics{
		Impressions: impressions,
		Reach:       permille(28, 600, 300), // 60-90% of impressions are distinct people
		Likes:       permille(40, 20, 60),
		Comments:    permille(48, 2, 8),
		Shares:      permille(56, 1, 4),
	}
}
