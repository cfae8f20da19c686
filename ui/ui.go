// Package ui is Herald's web app: HTMX pages rendered by Echo with html/template, all
// templates and static assets embedded. Handlers parse, call one app method and render;
// render.go decides page or fragment, errors.go maps errors to pages. It imports domain,
// ports and app, never an adapter.
package ui

import (
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

//go:embed all:templates static
var files embed.FS

// Config is the web app's own options; its services come from app.New.
type Config struct {
	Log           *slog.Logger
	SecureCookies bool
	// Now is the clock pages compare times with; nil means time.Now.
	Now func() time.Time
	// LiveRecheck is how often an open event stream looks again when no notification woke
	// it, in case one was lost; 0 means 30 seconds.
	LiveRecheck time.Duration
}

// Handler serves the web app.
type Handler struct {
	*app.Services // the use cases the pages call
	Config
	templates map[string]*template.Template
	assets    map[string]asset // the static files by path under static/
	stopping  chan struct{}    // closed when the server shuts down: event streams end
	stopOnce  sync.Once
	hub       hub[domain.CompanyID] // wakes the event streams of a company whose posts changed
	bells     hub[bellKey]          // wakes the bell streams of a person with a new notification
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// The pages and partials handlers render; templates_test.go checks each one is parsed.
const (
	pageRegister     = "auth/register"
	pageLogin        = "auth/login"
	pageAccept       = "auth/accept"
	pageHome         = "home/index"
	pageTeam         = "team/show"
	pageTokens       = "tokens/index"
	pageTenants      = "admin/tenants"
	pageTenant       = "admin/tenant"
	pageError        = "errors/error"
	pageAccounts     = "accounts/index"
	pagePosts        = "posts/index"
	pageCompose      = "posts/compose"
	pagePost         = "posts/show"
	pageCalendar     = "calendar/show"
	pageProfile      = "profile/show"
	pageSettings     = "settings/show"
	pageSuggest      = "posts/suggest"
	pageAnalytics    = "analytics/index"
	pageAudit        = "audit/index"
	pageWebhooks     = "webhooks/index"
	pageWebhook      = "webhooks/show"
	pageLibrary      = "media/index"
	pageMedia        = "media/show"
	pageQueue        = "queue/index"
	pageSnippets     = "snippets/index"
	pagePasskeys     = "profile/passkeys"
	pageMFA          = "auth/mfa"
	pageTwoFactor    = "profile/two_factor"
	pageEmails       = "settings/emails"
	pageUnsubscribe  = "mail/unsubscribe"
	pageReview       = "review/index"
	pageImport       = "posts/import"
	partAlert        = "shared/_alert"
	partMembers      = "team/_members"
	partNotice       = "shared/_notice"
	partConnect      = "accounts/_connect"
	partStatus       = "posts/_status"
	partSummary      = "posts/_summary"
	partBadges       = "posts/_badges"
	partAIPanel      = "posts/_ai_panel"
	partSuggestions  = "posts/_suggestions"
	partChart        = "shared/_chart"
	partMetrics      = "posts/_metrics"
	partTiles        = "media/_tiles"
	partChosen       = "media/_chosen"
	partPicker       = "media/_picker"
	partInsert       = "snippets/_insert"
	partDuplicate    = "posts/_duplicate"
	partLabels       = "posts/_labels"
	pageClientReview = "review/show"
	partThread       = "posts/_thread"
	partCommentForm  = "posts/_comment_form"
	partReviewLinks  = "posts/_review_links"
	partDiscussion   = "posts/_discussion"
	partPreview      = "posts/_preview"
	// The bell's pages (notifications.go).
	pageNotifications        = "notifications/index"
	pageNotificationSettings = "notifications/settings"
	partBellPanel            = "notifications/_panel"
	partApproval             = "posts/_approval"
)

var pages = []string{pageRegister, pageLogin, pageAccept, pageHome, pageTeam, pageTokens, pageTenants, pageTenant, pageError,
	pageAccounts, pagePosts, pageCompose, pagePost, pageCalendar, pageProfile, pageSettings, pageSuggest, pageAnalytics, pageAudit, pageWebhooks, pageWebhook, pageLibrary, pageMedia, pageQueue, pageSnippets,
	pagePasskeys, pageMFA, pageTwoFactor, pageEmails, pageUnsubscribe, pageNotifications, pageNotificationSettings, pageReview, pageClientReview, pageImport}
var partials = []string{partAlert, partMembers, partNotice, partConnect, partStatus, partSummary, partBadges, partAIPanel, partSuggestions, partChart, partMetrics, partTiles, partChosen, partPicker, partInsert, partDuplicate, partLabels, partPreview, partBellPanel, partApproval, partThread, partCommentForm, partReviewLinks, partDiscussion}

var funcs = template.FuncMap{
	// path builds the path of a named route (routes.go): {{path "post.edit" .Post.ID}}.
	"path": buildPath,
	// withQuery adds name and value pairs: {{withQuery (path "login") "next" .Next}}.
	"withQuery": withQuery,
	// static is the address of an embedded static file: {{static "app.js"}}.
	"static": staticPath,
	"roles":  func() []domain.Role { return domain.Roles },
	"plans":  func() []domain.Plan { return domain.Plans },
	"date":   func(t interface{ Format(string) string }) string { return t.Format("2 Jan 2006") },
	// excerpt returns the first n characters of s on one line, with an ellipsis when cut.
	"excerpt": domain.Excerpt,
	// human writes a status for people: "partially_published" is "partially published".
	"human":       func(s any) string { return strings.ReplaceAll(fmt.Sprint(s), "_", " ") },
	"thousands":   thousands,
	"hasPrefix":   strings.HasPrefix,
	"mediaKind":   domain.KindOfMedia,
	"aiUsed":      aiUsed,
	"noProvider":  func() string { return app.ErrNoProvider.Message },
	"thousands64": thousands64,
	"limits":      func(p domain.Plan) domain.PlanLimits { return p.Limits() },
	// quota writes "used of limit" ("3 of 5", "12 of unlimited").
	"quota": func(used, limit int) string {
		if limit == domain.Unlimited {
			return thousands(used) + " of unlimited"
		}
		return thousands(used) + " of " + thousands(limit)
	},
	"quota64": func(used, limit int64) string { return thousands64(used) + " of " + thousands64(limit) },
	// metricTitle names the i-th metric of a row of metric cells ("Likes"), for table labels.
	"metricTitle": func(i int) string { return metricDefs[i].Title },
	// full reports whether used reached limit, for marking a quota that is used up.
	"full": func(used, limit int) bool { return limit != domain.Unlimited && used >= limit },
	// fileSize writes bytes for people: "2.4 MB".
	"fileSize": fileSize,
	// icon is an inline SVG icon, decorative: {{icon "calendar"}} (icons.go lists the sets).
	"icon": icon,
	// avatarOf gives the avatar template an account's name, initials and platform.
	"avatarOf": avatarOf,
	// initials are the first letters of a name's first two words: "Hedda Gabler" is "HG".
	"initials": initials,
	// platformTitle names a platform for people from its code: "linkedin" is "LinkedIn".
	"platformTitle": func(p any) string { return domain.Platform(fmt.Sprint(p)).Title() },
}

// thousands writes n with comma separators, as the domain's messages do.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		return "-" + s
	}
	return s
}

// New returns the web app over the services svc (app.New; nil only in tests that call no
// page) with its own options cfg. It parses every page with the layout and all partials, so a broken template stops the
// start instead of a request. It returns an error naming the template that failed.
func New(svc *app.Services, cfg Config) (*Handler, error) {
	if svc == nil {
		svc = &app.Services{} // template and asset tests: no page calls a service
	}
	h := &Handler{Services: svc, Config: cfg, templates: map[string]*template.Template{}, stopping: make(chan struct{})}
	base, err := template.New("").Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/*/_*.html")
	if err != nil {
		return nil, fmt.Errorf("ui: templates: %w", err)
	}
	for _, p := range pages {
		t, err := template.Must(base.Clone()).ParseFS(files, "templates/"+p+".html")
		if err != nil {
			return nil, fmt.Errorf("ui: template %s: %w", p, err)
		}
		h.templates[p] = t
	}
	for _, p := range partials {
		if base.Lookup(p) == nil {
			return nil, fmt.Errorf("ui: partial %s is not defined", p)
		}
		h.templates[p] = base
	}
	static, err := fs.Sub(files, "static")
	if err != nil {
		return nil, fmt.Errorf("ui: static files: %w", err)
	}
	if h.assets, err = loadAssets(static); err != nil {
		return nil, err
	}
	return h, nil
}
