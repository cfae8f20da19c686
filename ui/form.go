package ui

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/domain"
)

// form is a submitted form: the values to show again and the problems to show beside them.
type form struct {
	Values  map[string]string
	Errors  map[string]string
	Message string
}

func newForm(values map[string]string) form {
	return form{Values: values, Errors: map[string]string{}}
}

// withError fills the form's problems from err: field errors beside their fields, anything
// else (already made safe by domain.MessageOf) at the top.
func (f form) withError(err error) form {
	if fields := domain.FieldsOf(err); len(fields) > 0 {
		for k, v := range fields {
			f.Errors[k] = v
		}
	}
	f.Message = domain.MessageOf(err)
	return f
}

// checkText refuses text no page could store, before any handler sees it: a path or query
// parameter holding a NUL character or bytes that are not UTF-8 answers 400, a posted form
// field 422 naming the field. Every page route goes through it.
func checkText(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		for i, name := range c.ParamNames() {
			if i < len(c.ParamValues()) && domain.TextProblem(c.ParamValues()[i]) != "" {
				return domain.Errorf(domain.CodeBadRequest, "The address's %s holds a NUL character or bytes that are not UTF-8.", name)
			}
		}
		for name, vals := range c.QueryParams() {
			for _, val := range append(vals, name) {
				if domain.TextProblem(val) != "" {
					return domain.Errorf(domain.CodeBadRequest, "The address holds a NUL character or bytes that are not UTF-8.")
				}
			}
		}
		if c.Request().Method != http.MethodPost {
			return next(c)
		}
		vals, err := c.FormParams()
		if err != nil {
			return next(c) // the handler answers a form it cannot read
		}
		v := domain.Violations{}
		for name, list := range vals {
			field := strings.ToValidUTF8(strings.ReplaceAll(name, "\x00", ""), "")
			if domain.TextProblem(name) != "" {
				v.Add(field, "is a field name with a NUL character or bytes that are not UTF-8")
			}
			for _, val := range list {
				if p := domain.TextProblem(val); p != "" {
					v.Add(field, p)
				}
			}
		}
		if err := domain.BadText(v); err != nil {
			return err
		}
		return next(c)
	}
}

func encodeFlash(msg string) string { return base64.RawURLEncoding.EncodeToString([]byte(msg)) }

func decodeFlash(s string) string {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 500 {
		return ""
	}
	return string(b)
}

// composeForm is the compose form as submitted: everything typed is kept, so a form with
// problems comes back exactly as it was sent.
type composeForm struct {
	Content  string
	Media    string                      // one URL per line, as typed
	Selected map[domain.AccountID]bool   // the ticked accounts
	Order    []domain.AccountID          // the ticked accounts in form order: account_ids[i] is Order[i]
	Variants map[domain.AccountID]string // per-account text as typed, also for accounts no longer ticked
	When     string                      // the datetime-local value, in the viewer's zone
	Version  int                         // the version the editor started from (If-Match)
	Action   string                      // "draft", "schedule" or "publish"
	Errors   map[string]string           // problems beside fields: content, media, library, accounts, account.<id>, variant.<id>, variant_media.<id>, comment.<id>, first_comment, labels, scheduled_for
	Others   []string                    // problems that belong to no field on the page
	Message  string
	Sent     bool // the form comes back after the person sent it: every rule may be shown

	// MediaIDs are the chosen library files, in order.
	MediaIDs []domain.MediaID
	// OwnMedia marks the accounts that take their own library files (VariantMedia) instead
	// of the post's; VariantMedia is kept for accounts no longer ticked too.
	OwnMedia     map[domain.AccountID]bool
	VariantMedia map[domain.AccountID][]domain.MediaID

	// FirstComment is the post's first comment as typed; Comments the accounts' own.
	FirstComment string
	Comments     map[domain.AccountID]string
	// Labels is the labels field as typed: comma-separated.
	Labels string
	// AIAssisted: an AI caption suggestion was put into the post (static/app.js sets it).
	AIAssisted bool
}

// Blank reports whether nothing has been written yet: no text and no media.
func (f composeForm) Blank() bool {
	return strings.TrimSpace(f.Content) == "" && strings.TrimSpace(f.Media) == "" && len(f.MediaIDs) == 0
}

// HasErrors reports whether the form comes back with any problem, beside a field or not.
func (f composeForm) HasErrors() bool {
	return len(f.Errors) > 0 || len(f.Others) > 0 || f.Message != ""
}

// The compose form's buttons.
const (
	actionDraft    = "draft"
	actionSchedule = "schedule"
	actionPublish  = "publish"
	actionQueue    = "queue"  // the next free time of the company's queue
	actionSubmit   = "submit" // for approval, wanting the typed time if any
)

// parseCompose reads the compose form. Variant fields are named variant_<account id>.
func parseCompose(c echo.Context) (composeForm, error) {
	vals, err := c.FormParams()
	if err != nil {
		return composeForm{}, domain.Errorf(domain.CodeBadRequest, "The form could not be read.")
	}
	f := composeForm{Content: vals.Get("content"), Media: vals.Get("media_urls"), When: strings.TrimSpace(vals.Get("scheduled_for")),
		Action: vals.Get("action"), Selected: map[domain.AccountID]bool{}, Variants: map[domain.AccountID]string{}, Errors: map[string]string{}, Sent: true}
	f.Version, _ = strconv.Atoi(vals.Get("version"))
	f.AIAssisted = vals.Get("ai_assisted") != ""
	f.OwnMedia, f.VariantMedia = map[domain.AccountID]bool{}, map[domain.AccountID][]domain.MediaID{}
	f.FirstComment, f.Labels, f.Comments = vals.Get("first_comment"), vals.Get("labels"), map[domain.AccountID]string{}
	for _, id := range vals["media_ids"] {
		f.MediaIDs = append(f.MediaIDs, domain.MediaID(id))
	}
	for _, id := range vals["own_media"] {
		f.OwnMedia[domain.AccountID(id)] = true
	}
	for _, id := range vals["account_ids"] {
		aid := domain.AccountID(id)
		if !f.Selected[aid] {
			f.Selected[aid] = true
			f.Order = append(f.Order, aid)
		}
	}
	for k, v := range vals {
		if id, ok := strings.CutPrefix(k, "comment_"); ok && len(v) > 0 {
			f.Comments[domain.AccountID(id)] = v[0]
		} else if id, ok := strings.CutPrefix(k, "variant_media_"); ok {
			for _, m := range v {
				f.VariantMedia[domain.AccountID(id)] = append(f.VariantMedia[domain.AccountID(id)], domain.MediaID(m))
			}
		} else if id, ok := strings.CutPrefix(k, "variant_"); ok && len(v) > 0 {
			f.Variants[domain.AccountID(id)] = v[0]
		}
	}
	switch f.Action {
	case actionSchedule, actionPublish, actionQueue, actionSubmit:
	case "":
		// No button named: Enter in a field. With a time typed, that means "schedule it then".
		f.Action = actionDraft
		if f.When != "" {
			f.Action = actionSchedule
		}
	default:
		f.Action = actionDraft
	}
	return f, nil
}

// composeFromPost fills the form with a stored post, for editing.
func composeFromPost(p domain.Post, loc *time.Location) composeForm {
	f := composeForm{Content: p.Content, Media: strings.Join(p.MediaURLs, "\n"), MediaIDs: p.MediaIDs, Version: p.Version(),
		Selected: map[domain.AccountID]bool{}, Variants: map[domain.AccountID]string{}, Errors: map[string]string{},
		OwnMedia: map[domain.AccountID]bool{}, VariantMedia: map[domain.AccountID][]domain.MediaID{},
		FirstComment: p.FirstComment, Labels: strings.Join(p.Labels, ", "), Comments: map[domain.AccountID]string{}}
	for _, t := range p.Targets {
		f.Selected[t.AccountID] = true
		f.Order = append(f.Order, t.AccountID)
		f.Variants[t.AccountID] = t.Variant
		f.Comments[t.AccountID] = t.CommentText
		if t.OwnMedia {
			f.OwnMedia[t.AccountID] = true
			f.VariantMedia[t.AccountID] = t.MediaIDs
		}
	}
	if p.Status() == domain.PostScheduled {
		f.When = p.ScheduledFor().In(loc).Format(datetimeLocal)
	}
	return f
}

// datetimeLocal is the value format of <input type="datetime-local">.
const datetimeLocal = "2006-01-02T15:04"

// scheduledAt returns the time the form asks for: zero for "publish now", the typed local
// time in loc for "schedule", or CodeInvalid for scheduled_for.
func (f composeForm) scheduledAt(loc *time.Location) (time.Time, error) {
	if f.Action == actionSubmit && f.When != "" {
		return parseLocal(f.When, loc)
	}
	if f.Action != actionSchedule {
		return time.Time{}, nil
	}
	return parseLocal(f.When, loc)
}

// parseLocal reads a datetime-local value as a time in loc.
func parseLocal(s string, loc *time.Location) (time.Time, error) {
	if s == "" {
		return time.Time{}, domain.InvalidField("scheduled_for", "choose the date and time to publish at")
	}
	for _, layout := range []string{datetimeLocal, "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, domain.InvalidField("scheduled_for", "is not a date and time such as 2026-11-23 09:30")
}

// input is what the form asks the app to store. Variants of accounts that are no longer
// ticked stay in the form but are not sent.
func (f composeForm) input() domain.PostInput {
	in := domain.PostInput{Content: f.Content, AccountIDs: f.Order, Variants: map[domain.AccountID]string{}, MediaIDs: f.MediaIDs,
		FirstComment: f.FirstComment, Labels: f.labels(), AIAssisted: f.AIAssisted}
	for id, v := range f.Comments {
		if f.Selected[id] && strings.TrimSpace(v) != "" {
			if in.VariantComments == nil {
				in.VariantComments = map[domain.AccountID]string{}
			}
			in.VariantComments[id] = v
		}
	}
	for _, line := range strings.Split(strings.ReplaceAll(f.Media, "\r\n", "\n"), "\n") {
		in.MediaURLs = append(in.MediaURLs, strings.TrimSpace(line)) // blank lines too: media_urls[i] is line i+1
	}
	for id, v := range f.Variants {
		if f.Selected[id] && strings.TrimSpace(v) != "" {
			in.Variants[id] = v
		}
	}
	for id := range f.OwnMedia {
		if f.Selected[id] {
			if in.VariantMedia == nil {
				in.VariantMedia = map[domain.AccountID][]domain.MediaID{}
			}
			in.VariantMedia[id] = f.ownMedia(id)
		}
	}
	return in
}

// labels splits the labels field at commas; the domain trims and checks them.
func (f composeForm) labels() []string {
	if strings.TrimSpace(f.Labels) == "" {
		return nil
	}
	return strings.Split(f.Labels, ",")
}

// Comment returns the account's own first comment as typed.
func (f composeForm) Comment(id domain.AccountID) string { return f.Comments[id] }

// CommentError returns the problem shown beside the account's own first comment.
func (f composeForm) CommentError(id domain.AccountID) string { return f.Errors["comment."+string(id)] }

// ownMedia returns the library files the account takes when it has its own: those ticked
// for it, in the post's order (a file no longer among the post's is left out, as its box
// is no longer shown).
func (f composeForm) ownMedia(id domain.AccountID) []domain.MediaID {
	out := []domain.MediaID{}
	for _, m := range f.MediaIDs {
		if slices.Contains(f.VariantMedia[id], m) {
			out = append(out, m)
		}
	}
	return out
}

// MediaFor returns the library files that go out on the account: its own, or the post's.
func (f composeForm) MediaFor(id domain.AccountID) []domain.MediaID {
	if f.OwnMedia[id] {
		return f.ownMedia(id)
	}
	return f.MediaIDs
}

// HasOwnMedia reports whether the account takes its own library files.
func (f composeForm) HasOwnMedia(id domain.AccountID) bool { return f.OwnMedia[id] }

// VariantHas reports whether the file is ticked for the account's own media.
func (f composeForm) VariantHas(id domain.AccountID, m domain.MediaID) bool {
	return slices.Contains(f.VariantMedia[id], m)
}

// VariantMediaError returns the problem shown beside the account's own media.
func (f composeForm) VariantMediaError(id domain.AccountID) string {
	return f.Errors["variant_media."+string(id)]
}

// mediaURLs returns the non-blank lines of the media field.
func (f composeForm) mediaURLs() []string {
	var out []string
	for _, u := range f.input().MediaURLs {
		if u != "" {
			out = append(out, u)
		}
	}
	return out
}

// withError places err's problems beside the fields they are about: account_ids[i] and
// targets.<id> beside the account, variants.<id>.content beside its text, media_urls[i]
// as a line number under the media field.
func (f composeForm) withError(err error) composeForm {
	f.Message = domain.MessageOf(err)
	fields := domain.FieldsOf(err)
	add := func(key, msg string) {
		if prev, ok := f.Errors[key]; ok {
			msg = prev + "; " + msg
		}
		f.Errors[key] = msg
	}
	for _, k := range domain.SortedFields(fields) {
		msg := fields[k]
		switch {
		case k == "content", k == "scheduled_for", k == "first_comment", k == "labels":
			add(k, msg)
		case strings.HasPrefix(k, "labels["):
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(k, "labels["), "]"))
			add("labels", "label "+strconv.Itoa(n+1)+" "+msg)
		case strings.HasPrefix(k, "variants.") && strings.HasSuffix(k, ".first_comment"):
			add("comment."+strings.TrimSuffix(strings.TrimPrefix(k, "variants."), ".first_comment"), msg)
		case k == "media_urls":
			add("media", msg)
		case strings.HasPrefix(k, "media_urls["):
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(k, "media_urls["), "]"))
			add("media", "line "+strconv.Itoa(n+1)+" "+msg)
		case k == "account_ids", k == "targets":
			add("accounts", msg)
		case strings.HasPrefix(k, "account_ids["):
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(k, "account_ids["), "]"))
			if n >= 0 && n < len(f.Order) {
				add("account."+string(f.Order[n]), msg)
			} else {
				add("accounts", msg)
			}
		case strings.HasPrefix(k, "targets."):
			add("account."+strings.TrimPrefix(k, "targets."), msg)
		case strings.HasPrefix(k, "variants.") && strings.HasSuffix(k, ".content"):
			add("variant."+strings.TrimSuffix(strings.TrimPrefix(k, "variants."), ".content"), msg)
		case k == "media_ids":
			add("library", msg)
		case strings.HasPrefix(k, "media_ids["):
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(k, "media_ids["), "]"))
			add("library", "file "+strconv.Itoa(n+1)+" "+msg)
		case strings.HasPrefix(k, "variants.") && strings.Contains(k, ".media_ids"):
			id, rest, _ := strings.Cut(strings.TrimPrefix(k, "variants."), ".media_ids")
			if n, err := strconv.Atoi(strings.Trim(rest, "[]")); err == nil {
				msg = "file " + strconv.Itoa(n+1) + " " + msg
			}
			add("variant_media."+id, msg)
		default:
			f.Others = append(f.Others, msg)
		}
	}
	return f
}

// AccountError returns the problem shown beside the account's checkbox.
func (f composeForm) AccountError(id domain.AccountID) string { return f.Errors["account."+string(id)] }

// VariantError returns the problem shown beside the account's own text.
func (f composeForm) VariantError(id domain.AccountID) string { return f.Errors["variant."+string(id)] }

// Variant returns the account's own text as typed.
func (f composeForm) Variant(id domain.AccountID) string { return f.Variants[id] }

// IsSelected reports whether the account is ticked.
func (f composeForm) IsSelected(id domain.AccountID) bool { return f.Selected[id] }
