package domain

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// PostStatus says where a post is on its way to the platforms.
type PostStatus string

// The statuses a post moves through. Only Post's methods change a post's status.
const (
	PostDraft              PostStatus = "draft"
	PostScheduled          PostStatus = "scheduled"
	PostPublishing         PostStatus = "publishing"
	PostPublished          PostStatus = "published"
	PostPartiallyPublished PostStatus = "partially_published"
	PostFailed             PostStatus = "failed"
	// PostInReview waits for an approver (see approval.go); PostChangesRequested was sent
	// back to its author with a comment; PostApproved was approved without a time to keep.
	PostInReview         PostStatus = "in_review"
	PostChangesRequested PostStatus = "changes_requested"
	PostApproved         PostStatus = "approved"
)

// PostStatuses lists every post status, in the order of a post's life.
var PostStatuses = []PostStatus{PostDraft, PostInReview, PostChangesRequested, PostApproved, PostScheduled, PostPublishing, PostPublished,
	PostPartiallyPublished, PostFailed}

// ParsePostStatus returns the status named s, or CodeInvalid naming field.
func ParsePostStatus(field, s string) (PostStatus, error) {
	for _, st := range PostStatuses {
		if string(st) == s {
			return st, nil
		}
	}
	names := make([]string, len(PostStatuses))
	for i, st := range PostStatuses {
		names[i] = string(st)
	}
	return "", InvalidField(field, "must be one of "+strings.Join(names, ", "))
}

// TargetStatus says where one post is on one account.
type TargetStatus string

// The statuses of a target. Published, failed and unknown are final.
const (
	TargetPending    TargetStatus = "pending"
	TargetPublishing TargetStatus = "publishing"
	TargetPublished  TargetStatus = "published"
	TargetFailed     TargetStatus = "failed"
	// TargetUnknown: an attempt was interrupted and the platform cannot say whether the post
	// exists. It is never re-sent blindly; a person decides.
	TargetUnknown TargetStatus = "unknown"
)

// Limits of a post, Herald's own; each platform's rules are checked separately.
const (
	MaxContentRunes = 70_000
	MaxMediaURLs    = 20
	MaxURLBytes     = 2048
	MaxTargets      = 50
	// SchedulePastTolerance is how far in the past a schedule time may be and still mean
	// "now" (a form submitted a little late); earlier is a mistake.
	SchedulePastTolerance = 5 * time.Minute
)

// PostInput is what a person writes: the post's editable fields.
type PostInput struct {
	Content    string
	MediaURLs  []string
	MediaIDs   []MediaID // library files, in order, before MediaURLs
	AccountIDs []AccountID
	Variants   map[AccountID]string // content for one account instead of Content
	// VariantMedia gives one account its own library files (a subset of MediaIDs, in its own
	// order; empty: none); an account absent from the map takes the post's.
	VariantMedia map[AccountID][]MediaID
	// FirstComment is published under the post right after it, on every account whose
	// platform takes comments; VariantComments gives one account its own.
	FirstComment    string
	VariantComments map[AccountID]string
	// Labels group posts (campaigns); see CleanLabels.
	Labels []string
	// AIAssisted: the writer applied an AI caption suggestion; a post keeps it once set.
	AIAssisted bool
}

// Target is a post on one account. Its status changes only through its methods.
type Target struct {
	AccountID AccountID
	Platform  Platform
	Variant   string // overrides the post's content on this account when not empty
	// OwnMedia says the account takes MediaIDs instead of the post's library files.
	OwnMedia bool
	MediaIDs []MediaID
	// CommentText overrides the post's first comment on this account when not empty.
	CommentText string

	comment     CommentState
	status      TargetStatus
	externalID  string
	externalURL string
	reason      string // the last error, for a person
	attempts    int
	attemptOpen bool // an attempt was recorded and its result was not (yet)
	publishedAt time.Time
}

// Status returns where the target is.
func (t Target) Status() TargetStatus { return t.status }

// ExternalID returns the platform's id of the published post, if any.
func (t Target) ExternalID() string { return t.externalID }

// ExternalURL returns the public address of the published post, if known.
func (t Target) ExternalURL() string { return t.externalURL }

// Reason returns the last error or explanation, for a person.
func (t Target) Reason() string { return t.reason }

// Attempts returns how many times publishing was attempted.
func (t Target) Attempts() int { return t.attempts }

// AttemptOpen reports whether an attempt was recorded without its result: the worker that
// made it stopped between asking the platform and recording the answer.
func (t Target) AttemptOpen() bool { return t.attemptOpen }

// PublishedAt returns when the platform accepted the post; zero until then.
func (t Target) PublishedAt() time.Time { return t.publishedAt }

// Final reports whether the target will not change on its own any more.
func (t Target) Final() bool {
	return t.status == TargetPublished || t.status == TargetFailed || t.status == TargetUnknown
}

// StartAttempt records the intent to call the platform. It returns CodeConflict when the
// target is final or an earlier attempt is still open (that one must be reconciled first).
func (t *Target) StartAttempt() error {
	if t.Final() {
		return Errorf(CodeConflict, "This target is already %s.", t.status)
	}
	if t.attemptOpen {
		return Errorf(CodeConflict, "An earlier attempt has no recorded result yet.")
	}
	t.status, t.attemptOpen = TargetPublishing, true
	t.attempts++
	return nil
}

// Succeed records that the platform published the post.
func (t *Target) Succeed(externalID, externalURL string, at time.Time) error {
	if t.Final() {
		return Errorf(CodeConflict, "This target is already %s.", t.status)
	}
	t.status, t.attemptOpen = TargetPublished, false
	t.externalID, t.externalURL, t.publishedAt, t.reason = externalID, externalURL, at.UTC(), ""
	return nil
}

// Retry records an attempt that failed in a way worth trying again.
func (t *Target) Retry(reason string) error {
	if t.Final() {
		return Errorf(CodeConflict, "This target is already %s.", t.status)
	}
	t.status, t.attemptOpen, t.reason = TargetPublishing, false, reason
	return nil
}

// Wait takes back the attempt just recorded, which never reached the platform, because
// the target must wait for something outside it (an account to be reconnected): the
// attempt is not counted, and reason says what it waits for. CodeConflict when no
// attempt is open.
func (t *Target) Wait(reason string) error {
	if t.Final() || !t.attemptOpen {
		return Errorf(CodeConflict, "This target has no open attempt to take back.")
	}
	t.status, t.attemptOpen, t.reason = TargetPublishing, false, reason
	if t.attempts > 0 {
		t.attempts--
	}
	return nil
}

// Fail records that the target will not be published, and why.
func (t *Target) Fail(reason string) error {
	if t.Final() {
		return Errorf(CodeConflict, "This target is already %s.", t.status)
	}
	t.status, t.attemptOpen, t.reason = TargetFailed, false, reason
	return nil
}

// MarkUnknown records that nobody can tell whether the platform has the post.
func (t *Target) MarkUnknown(reason string) error {
	if t.Final() {
		return Errorf(CodeConflict, "This target is already %s.", t.status)
	}
	t.status, t.attemptOpen, t.reason = TargetUnknown, false, reason
	return nil
}

// RestoreTarget rebuilds a target read from storage. Only adapters/postgres calls it.
func RestoreTarget(t Target, status TargetStatus, externalID, externalURL, reason string, attempts int, open bool, publishedAt time.Time) Target {
	t.status, t.externalID, t.externalURL, t.reason = status, externalID, externalURL, reason
	t.attempts, t.attemptOpen, t.publishedAt = attempts, open, publishedAt
	return t
}

// Post is content a company publishes to one or more of its connected accounts.
// Status, schedule and version change only through methods, so every Post obeys the rules.
type Post struct {
	ID        PostID
	CompanyID CompanyID
	CreatedBy UserID
	Content   string
	MediaURLs []string
	MediaIDs  []MediaID // library files, in order; every target takes them unless it has its own
	// FirstComment is published under the post on each target whose platform takes one
	// (see CommentFor); Labels are kept as CleanLabels returns them.
	FirstComment string
	Labels       []string
	Targets      []Target
	CreatedAt    time.Time
	UpdatedAt    time.Time
	// AIAssisted: a caption suggestion of the AI assist was applied to the post (kept once set).
	AIAssisted bool

	approval     Approval
	status       PostStatus
	reason       string    // why the post failed as a whole, for a person
	scheduledFor time.Time // zero while a draft
	version      int       // bumped whenever an enqueued publish job must become stale
}

// NewPost returns a draft, or CodeInvalid naming every bad field. accounts are the
// company's accounts the input may name.
func NewPost(company CompanyID, author UserID, in PostInput, accounts []Account, now time.Time) (Post, error) {
	p := Post{CompanyID: company, CreatedBy: author, CreatedAt: now.UTC(), UpdatedAt: now.UTC(), status: PostDraft, version: 1}
	if err := p.apply(in, accounts); err != nil {
		return Post{}, err
	}
	return p, nil
}

// Edit replaces the editable fields. A draft or scheduled post stays so (a scheduled one
// needs a new publish job: the version changes); a failed one becomes a draft again.
// Errors: CodeConflict once publishing started or succeeded anywhere; CodeInvalid.
func (p *Post) Edit(in PostInput, accounts []Account, now time.Time) error {
	switch p.status {
	case PostDraft, PostScheduled, PostInReview, PostChangesRequested, PostApproved:
	case PostFailed:
		p.status, p.scheduledFor, p.reason = PostDraft, time.Time{}, ""
	default:
		return Errorf(CodeConflict, "A %s post cannot be edited.", humanStatus(p.status))
	}
	if err := p.apply(in, accounts); err != nil {
		return err
	}
	p.version++
	p.UpdatedAt = now.UTC()
	return nil
}

func (p *Post) apply(in PostInput, accounts []Account) error {
	v := Violations{}
	content := strings.TrimSpace(strings.ReplaceAll(in.Content, "\r\n", "\n"))
	if n := utf8.RuneCountInString(content); n > MaxContentRunes {
		v.Add("content", fmt.Sprintf("is %s characters long; Herald keeps at most %s", thousands(n), thousands(MaxContentRunes)))
	}
	if !utf8.ValidString(content) {
		v.Add("content", "is not valid UTF-8 text")
	}
	media := make([]string, 0, len(in.MediaURLs))
	for i, raw := range in.MediaURLs {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		if problem := checkMediaURL(raw); problem != "" {
			v.Add(fmt.Sprintf("media_urls[%d]", i), problem)
			continue
		}
		media = append(media, raw)
	}
	if len(media) > MaxMediaURLs {
		v.Add("media_urls", fmt.Sprintf("has %d items; at most %d", len(media), MaxMediaURLs))
	}
	ids := checkMediaIDs("media_ids", in.MediaIDs, nil, v)
	if len(ids)+len(media) > MaxMediaURLs && len(media) <= MaxMediaURLs {
		v.Add("media_ids", fmt.Sprintf("with media_urls makes %d media items; at most %d", len(ids)+len(media), MaxMediaURLs))
	}
	comment := strings.TrimSpace(strings.ReplaceAll(in.FirstComment, "\r\n", "\n"))
	checkComment("first_comment", comment, v)
	labels := CleanLabels("labels", in.Labels, v)
	if content == "" && len(media) == 0 && len(ids) == 0 {
		v.Add("content", "is empty: write something or attach media")
	}
	byID := make(map[AccountID]Account, len(accounts))
	for _, a := range accounts {
		byID[a.ID] = a
	}
	var targets []Target
	seen := map[AccountID]bool{}
	for i, id := range in.AccountIDs {
		field := fmt.Sprintf("account_ids[%d]", i)
		a, ok := byID[id]
		switch {
		case seen[id]:
			v.Add(field, "names the same account twice")
			continue
		case !ok:
			v.Add(field, "is not one of this company's connected accounts")
			continue
		case a.Status == AccountDisconnected:
			v.Add(field, fmt.Sprintf("%s (%s) is disconnected", a.DisplayName, a.Platform.Title()))
			continue
		}
		seen[id] = true
		t := Target{AccountID: id, Platform: a.Platform, Variant: strings.TrimSpace(in.Variants[id]), status: TargetPending}
		if own, ok := in.VariantMedia[id]; ok {
			t.OwnMedia = true
			t.MediaIDs = checkMediaIDs(fmt.Sprintf("variants.%s.media_ids", id), own, ids, v)
		}
		if own := strings.TrimSpace(strings.ReplaceAll(in.VariantComments[id], "\r\n", "\n")); own != "" {
			field := fmt.Sprintf("variants.%s.first_comment", id)
			if !a.Platform.TakesFirstComment() {
				v.Add(field, fmt.Sprintf("%s takes no first comment", a.Platform.Title()))
			} else if checkComment(field, own, v) {
				t.CommentText = own
			}
		}
		targets = append(targets, t)
	}
	if len(in.AccountIDs) == 0 {
		v.Add("account_ids", "choose at least one account")
	}
	if len(in.AccountIDs) > MaxTargets {
		v.Add("account_ids", fmt.Sprintf("names %d accounts; at most %d", len(in.AccountIDs), MaxTargets))
	}
	for id, text := range in.Variants {
		field := fmt.Sprintf("variants.%s.content", id)
		if !seen[id] {
			if strings.TrimSpace(text) != "" {
				v.Add(field, "is for an account this post does not go to")
			}
			continue
		}
		if n := utf8.RuneCountInString(text); n > MaxContentRunes {
			v.Add(field, fmt.Sprintf("is %s characters long; Herald keeps at most %s", thousands(n), thousands(MaxContentRunes)))
		}
	}
	for id := range in.VariantMedia {
		if !seen[id] && len(in.VariantMedia[id]) > 0 {
			v.Add(fmt.Sprintf("variants.%s.media_ids", id), "is for an account this post does not go to")
		}
	}
	for id, text := range in.VariantComments {
		if !seen[id] && strings.TrimSpace(text) != "" {
			v.Add(fmt.Sprintf("variants.%s.first_comment", id), "is for an account this post does not go to")
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	p.Content, p.MediaURLs, p.MediaIDs, p.Targets = content, media, ids, targets
	p.FirstComment, p.Labels = comment, labels
	p.AIAssisted = p.AIAssisted || in.AIAssisted
	p.resetComments()
	return nil
}

// checkComment adds to v a problem under field when comment is too long or not UTF-8, and
// reports whether it is fine.
func checkComment(field, comment string, v Violations) bool {
	switch {
	case !utf8.ValidString(comment):
		v.Add(field, "is not valid UTF-8 text")
	case utf8.RuneCountInString(comment) > MaxCommentRunes:
		v.Add(field, fmt.Sprintf("is %s characters long; Herald keeps at most %s", thousands(utf8.RuneCountInString(comment)), thousands(MaxCommentRunes)))
	default:
		return true
	}
	return false
}

// checkMediaIDs returns the ids in order, adding to v a problem for each empty or repeated
// one, and, when of is not nil, for each not in of (a variant's subset of the post's).
func checkMediaIDs(field string, in, of []MediaID, v Violations) []MediaID {
	out := make([]MediaID, 0, len(in))
	for i, id := range in {
		f := fmt.Sprintf("%s[%d]", field, i)
		switch {
		case !IsUUID(string(id)):
			v.Add(f, "is not a media id")
		case slices.Contains(out, id):
			v.Add(f, "names the same file twice")
		case of != nil && !slices.Contains(of, id):
			v.Add(f, "is not among the post's media_ids: a variant chooses from the post's files")
		default:
			out = append(out, id)
		}
	}
	return out
}

// MediaFor returns the library files published on the target, in order: its own, or the
// post's.
func (p Post) MediaFor(t Target) []MediaID {
	if t.OwnMedia {
		return t.MediaIDs
	}
	return p.MediaIDs
}

// AllMediaIDs returns every library file the post uses, its targets' included, once each.
func (p Post) AllMediaIDs() []MediaID {
	out := slices.Clone(p.MediaIDs)
	for _, t := range p.Targets {
		for _, id := range t.MediaIDs {
			if !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	return out
}

// CheckLibrary returns CodeInvalid naming each library file of the post that is not in
// library (another company's, deleted, or never uploaded), or nil.
func (p Post) CheckLibrary(library map[MediaID]Media) error {
	v := Violations{}
	for i, id := range p.MediaIDs {
		if _, ok := library[id]; !ok {
			v.Add(fmt.Sprintf("media_ids[%d]", i), "is not in this company's media library")
		}
	}
	for _, t := range p.Targets {
		for i, id := range t.MediaIDs {
			if _, ok := library[id]; !ok && !slices.Contains(p.MediaIDs, id) {
				v.Add(fmt.Sprintf("variants.%s.media_ids[%d]", t.AccountID, i), "is not in this company's media library")
			}
		}
	}
	return v.Err()
}

// CheckLibraryMedia checks each target's library files against its platform's documented
// limits, from the facts stored at upload, and returns CodeInvalid with one field per
// broken file, or nil.
func (p Post) CheckLibraryMedia(library map[MediaID]Media) error {
	v := Violations{}
	for _, t := range p.Targets {
		for i, id := range p.MediaFor(t) {
			m, ok := library[id]
			if !ok {
				continue
			}
			if problems := CheckMedia(t.Platform, m.Info()); len(problems) > 0 {
				field := fmt.Sprintf("media_ids[%d]", slices.Index(p.MediaIDs, id))
				if t.OwnMedia {
					field = fmt.Sprintf("variants.%s.media_ids[%d]", t.AccountID, i)
				}
				v.Add(field, m.Name+" "+strings.Join(problems, "; "))
			}
		}
	}
	return v.Err()
}

func (p *Post) target(id AccountID) *Target {
	for i := range p.Targets {
		if p.Targets[i].AccountID == id {
			return &p.Targets[i]
		}
	}
	return nil
}

// Target returns the post's target on account id, and whether there is one.
func (p *Post) Target(id AccountID) (*Target, bool) {
	t := p.target(id)
	return t, t != nil
}

func checkMediaURL(raw string) string {
	if len(raw) > MaxURLBytes {
		return fmt.Sprintf("is longer than %d bytes", MaxURLBytes)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "must be an http or https address the platforms can fetch"
	}
	return ""
}

// MediaKindsFor returns the kind of each media item that goes out on the target, in
// order: its library files (unknown when absent from library) then the post's URLs.
func (p Post) MediaKindsFor(t Target, library map[MediaID]Media) []MediaKind {
	var out []MediaKind
	for _, id := range p.MediaFor(t) {
		kind := MediaUnknown
		if m, ok := library[id]; ok {
			kind = m.Kind()
		}
		out = append(out, kind)
	}
	return append(out, MediaKinds(p.MediaURLs)...)
}

// TextFor returns what is published on the target: its variant, or the post's content.
func (p Post) TextFor(t Target) string {
	if t.Variant != "" {
		return t.Variant
	}
	return p.Content
}

// CheckRules checks every target against its platform's rules and returns CodeInvalid
// with one field per broken target ("targets.<account id>"), or nil. library holds the
// post's library files (their kinds matter to some platforms).
func (p Post) CheckRules(accounts []Account, library map[MediaID]Media) error {
	names := map[AccountID]string{}
	for _, a := range accounts {
		names[a.ID] = a.DisplayName
	}
	v := Violations{}
	for _, t := range p.Targets {
		problems := CheckRules(t.Platform, p.TextFor(t), p.MediaKindsFor(t, library))
		var parts []string
		if len(problems) > 0 {
			what := "the post"
			if t.Variant != "" {
				what = "the variant"
			}
			parts = append(parts, fmt.Sprintf("%s for %s (%s) %s", what, names[t.AccountID], t.Platform.Title(), strings.Join(problems, "; ")))
		}
		if problem := checkCommentRules(t.Platform, p.CommentFor(t)); problem != "" {
			parts = append(parts, fmt.Sprintf("the first comment for %s (%s) %s", names[t.AccountID], t.Platform.Title(), problem))
		}
		if len(parts) > 0 {
			v.Add("targets."+string(t.AccountID), strings.Join(parts, "; "))
		}
	}
	return v.Err()
}

// Schedule sets the post to be published at at (now when at is zero or a little in the
// past). A failed post is tried again on every target that did not publish.
// Errors: CodeConflict once publishing started or succeeded; CodeInvalid for a time in the past.
func (p *Post) Schedule(at, now time.Time) error {
	switch p.status {
	case PostDraft, PostScheduled, PostApproved, PostChangesRequested:
	case PostInReview:
		return Errorf(CodeConflict, "This post waits for approval: approve it or request changes.")
	case PostFailed:
		for i, t := range p.Targets {
			p.Targets[i] = Target{AccountID: t.AccountID, Platform: t.Platform, Variant: t.Variant, OwnMedia: t.OwnMedia, MediaIDs: t.MediaIDs,
				CommentText: t.CommentText, status: TargetPending}
		}
		p.resetComments()
	default:
		return Errorf(CodeConflict, "A %s post cannot be scheduled again.", humanStatus(p.status))
	}
	if len(p.Targets) == 0 {
		return InvalidField("account_ids", "choose at least one account")
	}
	if at.IsZero() {
		at = now
	}
	if at.Before(now.Add(-SchedulePastTolerance)) {
		return InvalidField("scheduled_for", "is in the past")
	}
	if at.Before(now) {
		at = now
	}
	p.status, p.scheduledFor, p.reason = PostScheduled, at.UTC(), ""
	p.version++
	p.UpdatedAt = now.UTC()
	return nil
}

// Unschedule takes a scheduled post back to draft; its publish job becomes stale.
// Errors: CodeConflict when the post is not scheduled.
func (p *Post) Unschedule(now time.Time) error {
	if p.status != PostScheduled {
		return Errorf(CodeConflict, "Only a scheduled post can be unscheduled; this one is %s.", humanStatus(p.status))
	}
	p.status, p.scheduledFor = PostDraft, time.Time{}
	p.version++
	p.UpdatedAt = now.UTC()
	return nil
}

// CheckDelete returns CodeConflict while the post is being published.
func (p Post) CheckDelete() error {
	if p.status == PostPublishing {
		return Errorf(CodeConflict, "This post is being published; wait until it finishes, then delete it.")
	}
	return nil
}

// StartPublishing claims a scheduled post for the publish job of version v. It returns
// false (and changes nothing) when the job is stale: the post was edited, rescheduled,
// unscheduled or already claimed since the job was enqueued.
func (p *Post) StartPublishing(v int, now time.Time) bool {
	if p.status != PostScheduled || p.version != v {
		return false
	}
	p.status = PostPublishing
	p.UpdatedAt = now.UTC()
	return true
}

// FailAll fails a scheduled or publishing post and every unfinished target with reason
// (a suspended company, a deleted account). Finished targets keep their result.
func (p *Post) FailAll(reason string, now time.Time) {
	for i := range p.Targets {
		if !p.Targets[i].Final() {
			_ = p.Targets[i].Fail(reason)
		}
	}
	p.reason = reason
	p.status = DerivePostStatus(p.Targets)
	p.UpdatedAt = now.UTC()
}

// FailTarget fails the post's unfinished target on account with reason (its account was
// disconnected) and reports whether anything changed. A scheduled post whose targets are
// then all final is finished: its status is derived and its publish job becomes stale.
func (p *Post) FailTarget(account AccountID, reason string, now time.Time) bool {
	t := p.target(account)
	if t == nil || t.Final() || (p.status != PostScheduled && p.status != PostPublishing && p.status != PostDraft) {
		return false
	}
	_ = t.Fail(reason)
	p.UpdatedAt = now.UTC()
	for _, o := range p.Targets {
		if !o.Final() {
			return true
		}
	}
	if p.status == PostScheduled || p.status == PostPublishing {
		p.status, p.reason = DerivePostStatus(p.Targets), reason
		p.version++
	}
	return true
}

// ResolveUnknown records a person's answer about the target on account that was left
// unknown: published (at url, which may be empty), or not, and then it is tried again. It
// reports whether a publish job is needed (the version changes so the retry is a new job).
// Errors: CodeNotFound (no such target), CodeConflict (the target is not unknown),
// CodeInvalid (url).
func (p *Post) ResolveUnknown(account AccountID, published bool, url string, now time.Time) (bool, error) {
	t := p.target(account)
	if t == nil {
		return false, Errorf(CodeNotFound, "This post does not go to that account.")
	}
	if t.status != TargetUnknown {
		return false, Errorf(CodeConflict, "Only a target whose outcome is unknown can be resolved; this one is %s.", t.status)
	}
	url = strings.TrimSpace(url)
	if url != "" {
		if problem := checkMediaURL(url); problem != "" {
			return false, InvalidField("external_url", "must be the http or https address of the published post")
		}
	}
	p.UpdatedAt = now.UTC()
	if published {
		t.status, t.externalURL, t.publishedAt, t.reason = TargetPublished, url, now.UTC(), "Marked as published by a person."
		if !t.comment.Final() {
			// Without the post's id on the platform there is nothing to comment under.
			t.comment.Status, t.comment.AttemptOpen = CommentFailed, false
			t.comment.Reason = "Not sent: Herald does not know the post's id on " + t.Platform.Title() + ", so it cannot comment under it. Add the comment by hand."
		}
		p.status = DerivePostStatus(p.Targets)
		return false, nil
	}
	t.status, t.attemptOpen, t.reason = TargetPending, false, "A person asked to publish it again."
	p.status, p.reason = PostPublishing, ""
	p.version++
	return true, nil
}

// RetryFailedTarget puts the post's failed target on account back to pending, to be
// published again: at the post's own time when that is still ahead of now and nothing of
// the post went out (the post is scheduled again), otherwise now (the post is publishing,
// and only that target is sent; the others keep their results). It reports whether the
// post was scheduled; its version changes either way, so earlier jobs are stale.
// Errors: CodeNotFound (no such target); CodeConflict (that target did not fail, or the
// post is not failed or partially published).
func (p *Post) RetryFailedTarget(account AccountID, now time.Time) (scheduled bool, err error) {
	t := p.target(account)
	if t == nil {
		return false, Errorf(CodeNotFound, "This post does not go to that account.")
	}
	if p.status != PostFailed && p.status != PostPartiallyPublished {
		return false, Errorf(CodeConflict, "Only a post that failed or was partially published can be retried; this one is %s.", humanStatus(p.status))
	}
	if t.status != TargetFailed {
		return false, Errorf(CodeConflict, "This post's target on that account is %s, not failed.", t.status)
	}
	*t = Target{AccountID: t.AccountID, Platform: t.Platform, Variant: t.Variant, OwnMedia: t.OwnMedia, MediaIDs: t.MediaIDs,
		CommentText: t.CommentText, status: TargetPending}
	if p.CommentFor(*t) != "" {
		t.comment.Status = CommentPending
	}
	p.reason, p.UpdatedAt = "", now.UTC()
	p.version++
	if p.status == PostFailed && p.scheduledFor.After(now) {
		p.status = PostScheduled
		return true, nil
	}
	p.status = PostPublishing
	return false, nil
}

// Settle derives a publishing post's status from its targets once all are final, and
// reports whether it changed.
func (p *Post) Settle(now time.Time) bool {
	if p.status != PostPublishing {
		return false
	}
	for _, t := range p.Targets {
		if !t.Final() {
			return false
		}
	}
	p.status = DerivePostStatus(p.Targets)
	p.UpdatedAt = now.UTC()
	return true
}

// DerivePostStatus is a finished post's status: published when every target published,
// partially published when some did, failed when none did.
func DerivePostStatus(targets []Target) PostStatus {
	published := 0
	for _, t := range targets {
		if t.status == TargetPublished {
			published++
		}
	}
	switch {
	case published == len(targets) && published > 0:
		return PostPublished
	case published > 0:
		return PostPartiallyPublished
	}
	return PostFailed
}

// Status returns where the post is in its life.
func (p Post) Status() PostStatus { return p.status }

// Reason returns why the post failed as a whole, if it did.
func (p Post) Reason() string { return p.reason }

// ScheduledFor returns when the post is (or was) due; zero for a draft.
func (p Post) ScheduledFor() time.Time { return p.scheduledFor }

// Version returns the number a publish job must carry to act on this post.
func (p Post) Version() int { return p.version }

// Platforms returns the platforms the post goes to, each once, in target order.
func (p Post) Platforms() []Platform {
	var out []Platform
	for _, t := range p.Targets {
		if !slices.Contains(out, t.Platform) {
			out = append(out, t.Platform)
		}
	}
	return out
}

// RestorePost rebuilds a post read from storage. Only adapters/postgres calls it.
func RestorePost(p Post, status PostStatus, reason string, scheduledFor time.Time, version int) Post {
	p.status, p.reason, p.scheduledFor, p.version = status, reason, scheduledFor, version
	return p
}

func humanStatus(s PostStatus) string { return strings.ReplaceAll(string(s), "_", " ") }

// HumanStatus is the status as a person reads it ("in review").
func HumanStatus(s PostStatus) string { return humanStatus(s) }

// DuplicateInput returns what a copy of p is written from: its content, media, variants,
// first comments, labels and accounts, whatever its status, but never its time, results or versions. It leaves
// out, and returns, the accounts not among connected (disconnected since) and the library
// files for which inLibrary is false (deleted since); a variant's own files keep those
// still there.
func (p Post) DuplicateInput(connected []Account, inLibrary func(MediaID) bool) (in PostInput, droppedAccounts []AccountID, droppedMedia []MediaID) {
	live := map[AccountID]bool{}
	for _, a := range connected {
		live[a.ID] = a.Status != AccountDisconnected
	}
	keep := func(ids []MediaID) []MediaID {
		out := make([]MediaID, 0, len(ids))
		for _, id := range ids {
			if inLibrary(id) {
				out = append(out, id)
			} else if !slices.Contains(droppedMedia, id) {
				droppedMedia = append(droppedMedia, id)
			}
		}
		return out
	}
	in = PostInput{Content: p.Content, MediaURLs: slices.Clone(p.MediaURLs), MediaIDs: keep(p.MediaIDs),
		Variants: map[AccountID]string{}, VariantMedia: map[AccountID][]MediaID{},
		FirstComment: p.FirstComment, VariantComments: map[AccountID]string{}, Labels: slices.Clone(p.Labels)}
	for _, t := range p.Targets {
		if !live[t.AccountID] {
			droppedAccounts = append(droppedAccounts, t.AccountID)
			continue
		}
		in.AccountIDs = append(in.AccountIDs, t.AccountID)
		if t.Variant != "" {
			in.Variants[t.AccountID] = t.Variant
		}
		if t.OwnMedia {
			in.VariantMedia[t.AccountID] = keep(t.MediaIDs)
		}
		if t.CommentText != "" {
			in.VariantComments[t.AccountID] = t.CommentText
		}
	}
	return in, droppedAccounts, droppedMedia
}
