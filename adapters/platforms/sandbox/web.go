package sandbox

import (
	"bytes"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/domain"
)

//go:embed templates/*.html
var templateFS embed.FS

// operatorLimit is how many posts the operator page shows.
const operatorLimit = 200

// Register adds the sandbox's pages to e: its consent page (GET and POST
// /sandbox/oauth/authorize), the operator's list of everything published to it
// (GET /sandbox/posts, behind operator, which must refuse everyone but Herald's operators) and
// each post's public permalink (GET /sandbox/posts/:id). With a nil operator the list is not
// registered at all.
func (s *Sandbox) Register(e *echo.Echo, operator echo.MiddlewareFunc) {
	e.GET(authorizePath, s.showConsent)
	e.POST(authorizePath, s.decideConsent)
	if operator != nil {
		e.GET("/sandbox/posts", s.listPosts, operator)
	}
	e.GET("/sandbox/posts/:id", s.showPost)
}

// parsePages parses each page of templates/ together with the layout. The templates are
// embedded, so a parse error is a bug the package's tests catch.
func parsePages() map[string]*template.Template {
	funcs := template.FuncMap{
		"when": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
		"excerpt": func(s string, n int) string {
			if utf8.RuneCountInString(s) <= n {
				return s
			}
			return string([]rune(s)[:n]) + "…"
		},
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	pages := map[string]*template.Template{}
	for _, name := range names {
		page := strings.TrimSuffix(strings.TrimPrefix(name, "templates/"), ".html")
		if page == "layout" {
			continue
		}
		pages[page] = template.Must(template.New(page).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", name))
	}
	return pages
}

// render writes page inside the layout, rendering into a buffer first so a template error
// becomes a clean error instead of half a page.
func (s *Sandbox) render(c echo.Context, status int, page string, data any) error {
	t, ok := s.pages[page]
	if !ok {
		return fmt.Errorf("sandbox: no page %q", page)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		return fmt.Errorf("sandbox: render %s: %w", page, err)
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// errorView is what the error page shows.
type errorView struct {
	Title, Message string
}

func (s *Sandbox) renderError(c echo.Context, status int, message string) error {
	return s.render(c, status, "error", errorView{Title: http.StatusText(status), Message: message})
}

// authRequest is a valid authorization request of the consent page's query string.
type authRequest struct {
	RedirectURI string
	State       string
	Challenge   string
}

// parseAuthRequest checks the query of an authorization request the way a real OAuth server
// does and returns it, or a sentence saying what is wrong with it.
func (s *Sandbox) parseAuthRequest(q url.Values) (authRequest, string) {
	for _, k := range []string{"response_type", "client_id", "redirect_uri", "state", "code_challenge", "code_challenge_method"} {
		if len(q[k]) > 1 {
			return authRequest{}, fmt.Sprintf("The parameter %s appears more than once.", k)
		}
	}
	req := authRequest{RedirectURI: q.Get("redirect_uri"), State: q.Get("state"), Challenge: q.Get("code_challenge")}
	switch {
	case q.Get("response_type") != "code":
		return authRequest{}, "The sandbox only answers response_type=code."
	case q.Get("client_id") != clientID:
		return authRequest{}, "The sandbox does not know this client_id."
	case req.RedirectURI == "":
		return authRequest{}, "The request has no redirect_uri."
	case !s.isOwnAddress(req.RedirectURI):
		return authRequest{}, "The redirect_uri must be an address on Herald itself."
	case req.State == "":
		return authRequest{}, "The request has no state."
	case len(req.State) > 500:
		return authRequest{}, "The state is too long (at most 500 characters)."
	case q.Get("code_challenge_method") != "S256":
		return authRequest{}, "The sandbox requires PKCE with code_challenge_method=S256."
	case !isChallenge(req.Challenge):
		return authRequest{}, "The code_challenge is not an S256 challenge (43 base64url characters)."
	}
	return req, ""
}

// isOwnAddress reports whether raw is a path on Herald (domain.LocalPath) or an absolute URL with Herald's own
// scheme and host, so the consent never sends a code elsewhere.
func (s *Sandbox) isOwnAddress(raw string) bool {
	if strings.ContainsAny(raw, "\\\r\n\t") {
		return false
	}
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || u.Fragment != "" {
		return false
	}
	if u.Scheme == "" && u.Host == "" {
		_, ok := domain.LocalPath(raw)
		return ok
	}
	return s.base != nil && strings.EqualFold(u.Scheme, s.base.Scheme) && strings.EqualFold(u.Host, s.base.Host)
}

// isChallenge reports whether c looks like base64url(SHA-256(verifier)) without padding.
func isChallenge(c string) bool {
	if len(c) != 43 {
		return false
	}
	for _, r := range c {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// withQuery returns raw (already validated) with the parameters kv added to its query.
func withQuery(raw string, kv ...string) string {
	u, _ := url.Parse(raw)
	q := u.Query()
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// consentView is what the consent page shows.
type consentView struct {
	Action  string // the same address, with the same query string
	CSRF    string
	Handle  string
	Problem string // what is wrong with Handle
}

const defaultHandle = "sandbox-user"

// showConsent handles GET /sandbox/oauth/authorize: the consent form, or 400 for a bad request.
func (s *Sandbox) showConsent(c echo.Context) error {
	if _, problem := s.parseAuthRequest(c.QueryParams()); problem != "" {
		return s.renderError(c, http.StatusBadRequest, problem)
	}
	return s.renderConsent(c, http.StatusOK, defaultHandle, "")
}

func (s *Sandbox) renderConsent(c echo.Context, status int, handle, problem string) error {
	csrf, _ := c.Get("csrf").(string)
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY") // a consent page must not be framed (clickjacking)
	h.Set("Content-Security-Policy", "frame-ancestors 'none'")
	return s.render(c, status, "authorize", consentView{
		Action: authorizePath + "?" + c.Request().URL.RawQuery,
		CSRF:   csrf, Handle: handle, Problem: problem,
	})
}

// decideConsent handles POST /sandbox/oauth/authorize. Allow signs the handle in and
// redirects to redirect_uri with a code and the state; deny redirects with
// error=access_denied. A bad request is 400, a bad handle gets the form back with 422.
func (s *Sandbox) decideConsent(c echo.Context) error {
	req, problem := s.parseAuthRequest(c.QueryParams())
	if problem != "" {
		return s.renderError(c, http.StatusBadRequest, problem)
	}
	r := c.Request()
	// The form only: Echo's FormValue would also read the query, which anyone can write.
	decision, raw := r.PostFormValue("decision"), r.PostFormValue("handle")
	switch decision {
	case "deny":
		return c.Redirect(http.StatusFound, withQuery(req.RedirectURI, "error", "access_denied", "state", req.State))
	case "allow":
	default:
		return s.renderError(c, http.StatusBadRequest, "Choose Allow or Deny.")
	}
	handle, problem := parseHandle(raw)
	if problem != "" {
		return s.renderConsent(c, http.StatusUnprocessableEntity, raw, problem)
	}
	code, err := s.grant(r.Context(), handle, req)
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusFound, withQuery(req.RedirectURI, "code", code, "state", req.State))
}

// parseHandle returns the trimmed handle, or what is wrong with it.
func parseHandle(raw string) (string, string) {
	h := strings.TrimSpace(raw)
	switch n := utf8.RuneCountInString(h); {
	case n == 0:
		return "", "Enter the sandbox account name to sign in as."
	case n > 60:
		return "", fmt.Sprintf("Use at most 60 characters (this is %d).", n)
	case !utf8.ValidString(h) || strings.IndexFunc(h, unicode.IsControl) >= 0:
		return "", "Use letters, digits and punctuation only."
	}
	return h, ""
}

// postRow is one sandbox post as the pages show it.
type postRow struct {
	ID          string    `db:"id"`
	Handle      string    `db:"handle"`
	Reference   string    `db:"reference"`
	Text        string    `db:"text"`
	MediaCount  int       `db:"media_count"`
	MediaJSON   []byte    `db:"media"`
	PublishedAt time.Time `db:"published_at"`
	Metrics     domain.Metrics
	// Media is what the sandbox received of each media item, decoded from MediaJSON.
	Media []ReceivedMedia
}

// decodeMedia fills Media from MediaJSON.
func (r *postRow) decodeMedia() error {
	if len(r.MediaJSON) == 0 {
		return nil
	}
	if err := json.Unmarshal(r.MediaJSON, &r.Media); err != nil {
		return fmt.Errorf("sandbox: post %s: media: %w", r.ID, err)
	}
	return nil
}

// postsView is what the operator page shows.
type postsView struct {
	Total int
	Posts []postRow
	Now   time.Time
}

// listPosts handles GET /sandbox/posts: the latest posts published to the sandbox, newest
// first, with their numbers now.
func (s *Sandbox) listPosts(c echo.Context) error {
	ctx := c.Request().Context()
	v := postsView{Now: s.now()}
	if err := s.db.GetContext(ctx, &v.Total, `SELECT count(*) FROM sandbox_posts WHERE NOT starts_with(reference, $1)`, commentPrefix); err != nil {
		return fmt.Errorf("sandbox: count posts: %w", err)
	}
	err := s.db.SelectContext(ctx, &v.Posts, `
		SELECT p.id, u.handle, p.reference, p.text, cardinality(p.media_urls) AS media_count, p.media, p.published_at
		FROM sandbox_posts p JOIN sandbox_users u ON u.id = p.user_id
		WHERE NOT starts_with(p.reference, $2)
		ORDER BY p.published_at DESC, p.id DESC
		LIMIT $1`, operatorLimit, commentPrefix)
	if err != nil {
		return fmt.Errorf("sandbox: list posts: %w", err)
	}
	for i := range v.Posts {
		v.Posts[i].Metrics = metricsAt(v.Posts[i].ID, v.Posts[i].PublishedAt, v.Now)
		if err := v.Posts[i].decodeMedia(); err != nil {
			return err
		}
	}
	return s.render(c, http.StatusOK, "posts", v)
}

// postView is what a post's permalink shows.
type postView struct {
	postRow
	MediaURLs []string
	Comments  []commentRow
}

// commentRow is one comment under a post.
type commentRow struct {
	Handle      string    `db:"handle"`
	Text        string    `db:"text"`
	PublishedAt time.Time `db:"published_at"`
}

// showPost handles GET /sandbox/posts/:id, a post's public page; 404 when there is none.
func (s *Sandbox) showPost(c echo.Context) error {
	id := c.Param("id")
	notFound := func() error { return s.renderError(c, http.StatusNotFound, "The sandbox has no such post.") }
	if !domain.IsUUID(id) {
		return notFound()
	}
	var v postView
	var media []byte
	err := s.db.QueryRowContext(c.Request().Context(), `
		SELECT p.id, u.handle, p.reference, p.text, array_to_json(p.media_urls), p.media, p.published_at
		FROM sandbox_posts p JOIN sandbox_users u ON u.id = p.user_id
		WHERE p.id = $1 AND NOT starts_with(p.reference, $2)`, id, commentPrefix).Scan(&v.ID, &v.Handle, &v.Reference, &v.Text, &media, &v.MediaJSON, &v.PublishedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound()
	}
	if err != nil {
		return fmt.Errorf("sandbox: show post: %w", err)
	}
	if err := json.Unmarshal(media, &v.MediaURLs); err != nil {
		return fmt.Errorf("sandbox: show post: media: %w", err)
	}
	v.MediaCount = len(v.MediaURLs)
	if err := v.decodeMedia(); err != nil {
		return err
	}
	v.Metrics = metricsAt(v.ID, v.PublishedAt, s.now())
	err = s.db.SelectContext(c.Request().Context(), &v.Comments, `
		SELECT u.handle, p.text, p.published_at
		FROM sandbox_posts p JOIN sandbox_users u ON u.id = p.user_id
		WHERE starts_with(p.reference, $1)
		ORDER BY p.published_at, p.id LIMIT $2`, commentPrefix+v.ID+"/", operatorLimit)
	if err != nil {
		return fmt.Errorf("sandbox: show post: comments: %w", err)
	}
	return s.render(c, http.StatusOK, "post", v)
}
