package facebook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeGraph plays the parts of the Graph API the adapter uses, enforcing their documented
// contract. Each behaviour cites its page:
//   - login:  https://developers.facebook.com/documentation/facebook-login/guides/advanced/manual-flow
//   - Login for Business (config_id): https://developers.facebook.com/docs/facebook-login/facebook-login-for-business
//   - PKCE:   https://developers.facebook.com/documentation/facebook-login/guides/advanced/oidc-token
//   - tokens: https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived
//   - pages:  https://developers.facebook.com/docs/pages-api/manage-pages
//   - businesses: https://developers.facebook.com/docs/graph-api/reference/user/businesses/,
//     https://developers.facebook.com/docs/marketing-api/reference/business/owned_pages/,
//     https://developers.facebook.com/docs/marketing-api/reference/business/client_pages/
//   - posts:  https://developers.facebook.com/documentation/pages-api/posts.md
//   - video:  https://developers.facebook.com/documentation/video-api/guides/publishing.md
//   - errors: https://developers.facebook.com/docs/graph-api/guides/error-handling
//   - proof:  https://developers.facebook.com/docs/graph-api/securing-requests/
//   - limits: https://developers.facebook.com/docs/graph-api/overview/rate-limiting/ (no
//     Retry-After: usage headers with estimated_time_to_regain_access)
//   - insights: https://developers.facebook.com/documentation/pages-api/platforminsights/page/deprecated-metrics
type fakeGraph struct {
	t        *testing.T
	srv      *httptest.Server
	version  string
	clientID string
	secret   string
	redirect string // the app's one "Valid OAuth Redirect URI", for Consent
	now      time.Time
	pageSize int           // entries per page of every list
	delay    time.Duration // added to every answer

	mu                sync.Mutex
	user              *fakeUser            // the person addPage and grant act for
	configs           map[string][]string  // Login for Business configuration id -> its permissions
	codes             map[string]*fakeCode // authorization codes
	shortToken        map[string]*fakeUser
	userToken         map[string]*fakeUser
	pages             []*fakePage    // every Page, for Page tokens
	revoked           map[string]int // token -> error_subcode
	declined          []string       // permissions the default person declined on the dialog
	photos            map[string]*fakePhoto
	videos            map[string]*fakeVideo
	processing        int                    // status polls a new video answers "processing" to
	badVideo          bool                   // new videos end in "error"
	posts             map[string][]*fakePost // page id -> posts, oldest first
	failures          map[string][]fakeFailure
	refuse            map[string]fakeRefusal // post field ("comments") or insights metric -> its refusal
	businessesRefused bool                   // /me/businesses answers (#200), as for an app without access to it
	publishFailure    *fakeFailure           // the next creating call answers this, creating nothing
	loseNext          bool                   // the next creating call creates, then its connection breaks
	calls             []string
	nextID            int
	commentFailure    *fakeFailure // the next comment answers this, creating nothing
	loseNextComment   bool         // the next comment is created, then its connection breaks
}

// fakeComment is a comment under a post
// (https://developers.facebook.com/docs/graph-api/reference/object/comments).
type fakeComment struct {
	id, from, message string
	created           time.Time
}

// fakeUser is a person who logged in: their permissions, the Pages /me/accounts lists, and
// their business portfolios.
type fakeUser struct {
	granted    []string
	pages      []*fakePage
	businesses []*fakeBusiness
}

// fakeBusiness is a business portfolio with the Pages it owns and those it manages for clients.
type fakeBusiness struct {
	id, name      string
	owned, client []*fakePage
	forbidden     bool // the person's role in it does not reach its Pages
	omitTokens    bool // its lists leave out access_token: the adapter asks each Page
}

type fakeCode struct {
	redirect  string
	challenge string
	user      *fakeUser
	used      bool
}

type fakePage struct {
	id, name, token string
	tasks           []string
}

type fakePhoto struct {
	page      string
	published bool
	attached  bool
	url       string // the url parameter, for a photo Facebook fetches
	sha256    string // hex digest of the uploaded source, for a photo sent as bytes
	size      int64
	alt       string // alt_text_custom
}

type fakeVideo struct {
	page      string
	pollsLeft int
	bad       bool
}

type fakePost struct {
	id, message, link string
	page              string
	created           time.Time
	media             []string // photo ids or the video's file_url
	reactions         int64
	comments          int64
	commentList       []*fakeComment // oldest first
	shares            int64
	views, reach      int64
}

// fakeRefusal is how Graph refuses a field or metric on every read: a permission missing
// (code 10 or 200) or a metric not offered for the post (code 100).
type fakeRefusal struct {
	status, code int
	message      string
}

type fakeFailure struct {
	status int
	header http.Header
	body   string
}

func newFakeGraph(t *testing.T) *fakeGraph {
	t.Helper()
	f := &fakeGraph{
		t: t, version: DefaultVersion, clientID: "app-1", secret: "app-secret-3f9a1c",
		redirect: "https://herald.example.com/api/v1/accounts/callback/facebook",
		now:      time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC), pageSize: 2,
		user:    &fakeUser{granted: append([]string{"public_profile"}, DefaultScopes...)},
		configs: map[string][]string{}, refuse: map[string]fakeRefusal{},
		codes: map[string]*fakeCode{}, shortToken: map[string]*fakeUser{}, userToken: map[string]*fakeUser{},
		revoked: map[string]int{}, photos: map[string]*fakePhoto{}, videos: map[string]*fakeVideo{}, posts: map[string][]*fakePost{},
		failures: map[string][]fakeFailure{},
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// config returns an adapter configuration pointed at the fake, with its clock.
func (f *fakeGraph) config() Config {
	return Config{
		ClientID: f.clientID, ClientSecret: f.secret,
		AuthURL:  f.srv.URL + "/" + f.version + "/dialog/oauth",
		TokenURL: f.srv.URL + "/" + f.version + "/oauth/access_token",
		APIURL:   f.srv.URL,
		Now:      func() time.Time { return f.now },
		// Polls every 5 ms for up to 25 ms: six looks at a video's processing.
		VideoPollInterval: 5 * time.Millisecond,
		VideoPollBudget:   25 * time.Millisecond,
	}
}

// adapter returns an adapter pointed at the fake.
func (f *fakeGraph) adapter() *Adapter { return New(f.config()) }

// addPage gives the default person a Page they manage, listed by /me/accounts.
func (f *fakeGraph) addPage(id, name, token string, tasks ...string) *fakePage {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := &fakePage{id: id, name: name, token: token, tasks: tasks}
	f.pages = append(f.pages, p)
	f.user.pages = append(f.user.pages, p)
	return p
}

// addBusiness gives the default person a business portfolio with owned and client Pages,
// which /me/accounts does not list.
func (f *fakeGraph) addBusiness(id, name string, owned, client []*fakePage) *fakeBusiness {
	f.mu.Lock()
	defer f.mu.Unlock()
	b := &fakeBusiness{id: id, name: name, owned: owned, client: client}
	f.pages = append(f.pages, owned...)
	f.pages = append(f.pages, client...)
	f.user.businesses = append(f.user.businesses, b)
	return b
}

// grant registers a code the dialog would have redirected the default person with.
func (f *fakeGraph) grant(code, redirect, verifier string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := &fakeCode{redirect: redirect, user: f.user}
	if verifier != "" {
		c.challenge = s256(verifier)
	}
	f.codes[code] = c
}

// s256 is the PKCE S256 challenge of verifier (RFC 7636, section 4.2).
func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// failNext makes the next request to key ("POST /page-1/feed") answer with a Graph error.
func (f *fakeGraph) failNext(key string, status int, header http.Header, code, subcode int, message string) {
	body, _ := json.Marshal(map[string]any{"error": map[string]any{
		"message": message, "type": "OAuthException", "code": code, "error_subcode": subcode, "fbtrace_id": "AbCdEfG123",
	}})
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures[key] = append(f.failures[key], fakeFailure{status: status, header: header, body: string(body)})
}

func (f *fakeGraph) callLog() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

func (f *fakeGraph) pagePosts(page string) []*fakePost {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.posts[page])
}

// graphErr writes the documented error object
// (https://developers.facebook.com/docs/graph-api/guides/error-handling).
func graphErr(w http.ResponseWriter, status, code, subcode int, typ, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	e := map[string]any{"message": message, "type": typ, "code": code, "fbtrace_id": "FakeTrace1"}
	if subcode != 0 {
		e["error_subcode"] = subcode
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"error": e})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeGraph) serve(w http.ResponseWriter, r *http.Request) {
	if f.delay > 0 {
		select {
		case <-time.After(f.delay):
		case <-r.Context().Done():
			return
		}
	}
	upload, err := parseRequest(r)
	if err != nil {
		graphErr(w, 400, 100, 0, "OAuthException", "cannot parse the request")
		return
	}
	// Every path is versioned; a version the fake does not serve is refused as Graph refuses
	// a retired one (https://developers.facebook.com/docs/graph-api/changelog).
	rest, ok := strings.CutPrefix(r.URL.Path, "/"+f.version+"/")
	if !ok {
		graphErr(w, 400, 2635, 0, "OAuthException", "(#2635) You are calling a deprecated version of the Graph API.")
		return
	}
	key := r.Method + " /" + rest
	f.mu.Lock()
	f.calls = append(f.calls, key)
	if q := f.failures[key]; len(q) > 0 {
		fail := q[0]
		f.failures[key] = q[1:]
		f.mu.Unlock()
		for k, vs := range fail.header {
			for _, v := range vs {
				w.Header().Add(k, v)
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(fail.status)
		_, _ = w.Write([]byte(fail.body))
		return
	}
	f.mu.Unlock()

	if rest == "oauth/access_token" {
		f.token(w, r)
		return
	}
	// The token travels as access_token, with appsecret_proof when the app requires it
	// (https://developers.facebook.com/docs/graph-api/guides/secure-requests).
	token := r.Form.Get("access_token")
	if token == "" {
		graphErr(w, 400, 2500, 0, "OAuthException", "An active access token must be used to query information about the current user.")
		return
	}
	mac := hmac.New(sha256.New, []byte(f.secret))
	mac.Write([]byte(token))
	if r.Form.Get("appsecret_proof") != hex.EncodeToString(mac.Sum(nil)) {
		graphErr(w, 400, 100, 0, "GraphMethodException", "Invalid appsecret_proof provided in the API argument")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if sub, ok := f.revoked[token]; ok {
		graphErr(w, 400, 190, sub, "OAuthException", "Error validating access token: Session has expired.")
		return
	}
	parts := strings.Split(rest, "/")
	user := f.userToken[token]
	switch {
	case r.Method == http.MethodGet && rest == "me/accounts":
		f.accounts(w, r, token)
	case r.Method == http.MethodGet && rest == "me/permissions":
		// GET /me/permissions lists each asked permission with its status
		// (manual flow, "Checking Permissions").
		if user == nil {
			graphErr(w, 400, 190, 0, "OAuthException", "Invalid OAuth access token - Cannot parse access token")
			return
		}
		var data []map[string]string
		for _, p := range user.granted {
			status := "granted"
			if !f.has(user, p) {
				status = "declined"
			}
			data = append(data, map[string]string{"permission": p, "status": status})
		}
		f.writeList(w, r, len(data), func(i int) any { return data[i] })
	case r.Method == http.MethodGet && rest == "me/businesses":
		f.businesses(w, r, user)
	case len(parts) == 2 && r.Method == http.MethodGet && (parts[1] == "owned_pages" || parts[1] == "client_pages"):
		f.businessPages(w, r, user, parts[0], parts[1])
	case r.Method == http.MethodGet && rest == "me":
		page := f.pageByToken(token)
		if page == nil {
			graphErr(w, 400, 190, 0, "OAuthException", "Invalid OAuth access token - Cannot parse access token")
			return
		}
		writeJSON(w, map[string]string{"id": page.id, "name": page.name})
	case len(parts) == 2 && r.Method == http.MethodPost && parts[1] == "feed":
		f.feed(w, r, parts[0], token)
	case len(parts) == 2 && r.Method == http.MethodPost && parts[1] == "photos":
		f.photo(w, r, parts[0], token, upload)
	case len(parts) == 2 && r.Method == http.MethodPost && parts[1] == "videos":
		f.video(w, r, parts[0], token)
	case len(parts) == 2 && r.Method == http.MethodGet && parts[1] == "posts":
		f.list(w, r, parts[0], token)
	case len(parts) == 2 && r.Method == http.MethodPost && parts[1] == "comments":
		f.comment(w, r, parts[0], token)
	case len(parts) == 2 && r.Method == http.MethodGet && parts[1] == "comments":
		f.listComments(w, r, parts[0], token)
	case len(parts) == 2 && r.Method == http.MethodGet && parts[1] == "insights":
		f.insights(w, r, parts[0], token)
	case len(parts) == 1 && r.Method == http.MethodGet && f.videos[parts[0]] != nil:
		f.videoStatus(w, r, parts[0], token)
	case len(parts) == 1 && r.Method == http.MethodGet && user != nil:
		f.pageToken(w, r, user, parts[0])
	case len(parts) == 1 && r.Method == http.MethodGet:
		f.postFields(w, r, parts[0], token)
	default:
		graphErr(w, 400, 100, 0, "GraphMethodException", "Unsupported request - method type: "+strings.ToLower(r.Method))
	}
}

// has reports whether the person granted perm (and did not decline it on the dialog).
func (f *fakeGraph) has(user *fakeUser, perm string) bool {
	return slices.Contains(user.granted, perm) && !(user == f.user && slices.Contains(f.declined, perm))
}

// writeList answers one page of a cursor-paginated list of n items, pageSize at a time, with
// paging.next carrying the after cursor (https://developers.facebook.com/docs/graph-api/results).
func (f *fakeGraph) writeList(w http.ResponseWriter, r *http.Request, n int, item func(int) any) {
	start := 0
	if a := r.Form.Get("after"); a != "" {
		v, err := strconv.Atoi(a)
		if err != nil || v < 0 || v > n {
			graphErr(w, 400, 100, 0, "OAuthException", "(#100) Invalid after cursor")
			return
		}
		start = v
	}
	end := min(start+f.pageSize, n)
	data := []any{}
	for i := start; i < end; i++ {
		data = append(data, item(i))
	}
	paging := map[string]any{"cursors": map[string]string{"before": strconv.Itoa(start), "after": strconv.Itoa(end)}}
	if end < n {
		q := url.Values{}
		for k, v := range r.Form {
			q[k] = v
		}
		q.Set("after", strconv.Itoa(end))
		paging["next"] = f.srv.URL + r.URL.Path + "?" + q.Encode()
	}
	writeJSON(w, map[string]any{"data": data, "paging": paging})
}

// businesses is GET /me/businesses with a user token: the portfolios the person has a role
// in; it needs business_management.
func (f *fakeGraph) businesses(w http.ResponseWriter, r *http.Request, user *fakeUser) {
	if user == nil {
		graphErr(w, 400, 190, 0, "OAuthException", "Invalid OAuth access token - Cannot parse access token")
		return
	}
	if !f.has(user, "business_management") || f.businessesRefused {
		graphErr(w, 403, 200, 0, "OAuthException", "(#200) Requires business_management permission to manage the object")
		return
	}
	f.writeList(w, r, len(user.businesses), func(i int) any {
		return map[string]string{"id": user.businesses[i].id, "name": user.businesses[i].name}
	})
}

// businessPages is GET /{business-id}/owned_pages or /client_pages: the Pages with id and
// name, and access_token and tasks when asked for and the person's role reaches them.
func (f *fakeGraph) businessPages(w http.ResponseWriter, r *http.Request, user *fakeUser, id, edge string) {
	if user == nil {
		graphErr(w, 400, 190, 0, "OAuthException", "Invalid OAuth access token - Cannot parse access token")
		return
	}
	var b *fakeBusiness
	for _, x := range user.businesses {
		if x.id == id {
			b = x
		}
	}
	if b == nil {
		graphErr(w, 400, 100, 33, "GraphMethodException", "Unsupported get request. Object with ID '"+id+"' does not exist")
		return
	}
	if b.forbidden {
		graphErr(w, 403, 10, 0, "OAuthException", "(#10) Application does not have permission for this action")
		return
	}
	pages := b.owned
	if edge == "client_pages" {
		pages = b.client
	}
	fields := strings.Split(r.Form.Get("fields"), ",")
	f.writeList(w, r, len(pages), func(i int) any {
		p := pages[i]
		out := map[string]any{"id": p.id, "name": p.name}
		if slices.Contains(fields, "tasks") {
			out["tasks"] = p.tasks
		}
		// A Page's access_token is returned to someone with a role on it
		// (https://developers.facebook.com/docs/graph-api/reference/page/).
		if slices.Contains(fields, "access_token") && !b.omitTokens {
			out["access_token"] = p.token
		}
		return out
	})
}

// pageToken is GET /{page-id}?fields=access_token with a user token of someone who can
// reach the Page (https://developers.facebook.com/docs/pages-api/manage-pages).
func (f *fakeGraph) pageToken(w http.ResponseWriter, r *http.Request, user *fakeUser, id string) {
	reach := slices.ContainsFunc(user.pages, func(p *fakePage) bool { return p.id == id })
	var page *fakePage
	for _, b := range user.businesses {
		for _, p := range append(slices.Clone(b.owned), b.client...) {
			if p.id == id {
				reach, page = reach || !b.forbidden, p
			}
		}
	}
	for _, p := range user.pages {
		if p.id == id {
			page = p
		}
	}
	if page == nil || !reach {
		graphErr(w, 400, 100, 33, "GraphMethodException", "Unsupported get request. Object with ID '"+id+"' does not exist")
		return
	}
	if r.Form.Get("fields") != "access_token" {
		graphErr(w, 400, 100, 0, "OAuthException", "(#100) test fake: the adapter must ask for access_token")
		return
	}
	writeJSON(w, map[string]string{"id": page.id, "access_token": page.token})
}

// token is /oauth/access_token: the code exchange (manual flow, with code_verifier under
// PKCE) and the long-lived exchange (grant_type=fb_exchange_token). The manual flow documents
// GET with query parameters; x/oauth2 sends the code exchange as a POST form, which the Graph
// host takes for the same endpoint, so both are served.
func (f *fakeGraph) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		graphErr(w, 400, 100, 0, "OAuthException", "Unsupported request - method type: "+strings.ToLower(r.Method))
		return
	}
	q := r.Form
	if q.Get("client_id") != f.clientID || q.Get("client_secret") != f.secret {
		graphErr(w, 400, 1, 0, "OAuthException", "Error validating client secret.")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if q.Get("grant_type") == "fb_exchange_token" {
		user := f.shortToken[q.Get("fb_exchange_token")]
		if user == nil {
			graphErr(w, 400, 190, 0, "OAuthException", "Invalid OAuth access token - Cannot parse access token")
			return
		}
		f.nextID++
		long := fmt.Sprintf("long-user-token-%d", f.nextID)
		f.userToken[long] = user
		writeJSON(w, map[string]any{"access_token": long, "token_type": "bearer", "expires_in": 5183944})
		return
	}
	if g := q.Get("grant_type"); g != "" && g != "authorization_code" {
		graphErr(w, 400, 100, 0, "OAuthException", "Unsupported grant_type")
		return
	}
	c, ok := f.codes[q.Get("code")]
	switch {
	case !ok:
		graphErr(w, 400, 100, 36007, "OAuthException", "Invalid verification code format.")
		return
	case c.used:
		graphErr(w, 400, 100, 36009, "OAuthException", "This authorization code has been used.")
		return
	case q.Get("redirect_uri") != c.redirect:
		graphErr(w, 400, 100, 36008, "OAuthException", "Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request")
		return
	case c.challenge == "" && q.Has("code_verifier"), c.challenge != "" && c.challenge != s256(q.Get("code_verifier")):
		graphErr(w, 400, 100, 0, "OAuthException", "Invalid code verifier.")
		return
	}
	c.used = true
	f.nextID++
	short := fmt.Sprintf("short-user-token-%d", f.nextID)
	f.shortToken[short] = c.user
	writeJSON(w, map[string]any{"access_token": short, "token_type": "bearer", "expires_in": 3600})
}

// accounts is GET /me/accounts with a user token: the Pages with their tokens and tasks, in
// cursor-paginated pages.
func (f *fakeGraph) accounts(w http.ResponseWriter, r *http.Request, token string) {
	user := f.userToken[token]
	if user == nil {
		// A short-lived or Page token is not what the flow calls this with.
		graphErr(w, 400, 190, 0, "OAuthException", "Invalid OAuth access token - Cannot parse access token")
		return
	}
	if !f.has(user, "pages_show_list") {
		graphErr(w, 403, 200, 0, "OAuthException", "(#200) Requires pages_show_list permission")
		return
	}
	fields := strings.Split(r.Form.Get("fields"), ",")
	if !slices.Contains(fields, "access_token") || !slices.Contains(fields, "tasks") {
		graphErr(w, 400, 100, 0, "OAuthException", "(#100) test fake: ask for access_token and tasks")
		return
	}
	f.writeList(w, r, len(user.pages), func(i int) any {
		p := user.pages[i]
		return map[string]any{"id": p.id, "name": p.name, "access_token": p.token, "tasks": p.tasks, "category": "Software"}
	})
}

func (f *fakeGraph) pageByToken(token string) *fakePage {
	for _, p := range f.pages {
		if p.token == token {
			return p
		}
	}
	return nil
}

// pageAuth checks that token is the page's Page token; publishing needs a Page token of a
// person with CREATE_CONTENT on the Page (https://developers.facebook.com/documentation/pages-api/posts.md).
func (f *fakeGraph) pageAuth(w http.ResponseWriter, page, token string) bool {
	p := f.pageByToken(token)
	switch {
	case p == nil:
		graphErr(w, 400, 190, 0, "OAuthException", "Invalid OAuth access token - Cannot parse access token")
		return false
	case p.id != page:
		graphErr(w, 403, 200, 0, "OAuthException", "(#200) The user hasn't authorized the application to perform this action")
		return false
	}
	return true
}

func (f *fakeGraph) newPost(page, message string) *fakePost {
	f.nextID++
	p := &fakePost{id: fmt.Sprintf("%s_%d", page, 9000+f.nextID), page: page, message: message, created: f.now}
	f.posts[page] = append(f.posts[page], p)
	return p
}

// failCreate answers the call that would create a post with the failure set by
// FailNextPublish, creating nothing. Called with f.mu held.
func (f *fakeGraph) failCreate(w http.ResponseWriter) bool {
	fail := f.publishFailure
	if fail == nil {
		return false
	}
	f.publishFailure = nil
	for k, vs := range fail.header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(fail.status)
	_, _ = w.Write([]byte(fail.body))
	return true
}

// answerCreate answers a call that created a post, or, after LoseNextPublishAnswer, breaks
// the connection instead: the post exists and the answer never arrives.
func (f *fakeGraph) answerCreate(w http.ResponseWriter, v any) {
	if f.loseNext {
		f.loseNext = false
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	}
	writeJSON(w, v)
}

// duplicate reports whether message repeats the Page's last post: Graph refuses it with code
// 506 (https://developers.facebook.com/docs/graph-api/guides/error-handling).
func (f *fakeGraph) duplicate(w http.ResponseWriter, page, message string) bool {
	ps := f.posts[page]
	if message != "" && len(ps) > 0 && ps[len(ps)-1].message == message {
		graphErr(w, 400, 506, 1455006, "OAuthException", "(#506) Duplicate status message")
		return true
	}
	return false
}

// feed is POST /{page-id}/feed with message, link and attached_media[i]={"media_fbid":...}
// naming photos uploaded with published=false to the same Page.
func (f *fakeGraph) feed(w http.ResponseWriter, r *http.Request, page, token string) {
	if !f.pageAuth(w, page, token) || f.failCreate(w) {
		return
	}
	message, link := r.PostForm.Get("message"), r.PostForm.Get("link")
	var media []string
	for i := 0; ; i++ {
		raw := r.PostForm.Get("attached_media[" + strconv.Itoa(i) + "]")
		if raw == "" {
			break
		}
		var m struct {
			MediaFBID string `json:"media_fbid"`
		}
		if err := json.Unmarshal([]byte(raw), &m); err != nil {
			graphErr(w, 400, 100, 0, "OAuthException", fmt.Sprintf("(#100) param attached_media[%d] must be a JSON object", i))
			return
		}
		ph := f.photos[m.MediaFBID]
		if ph == nil || ph.page != page || ph.published || ph.attached {
			graphErr(w, 400, 100, 0, "OAuthException", fmt.Sprintf("(#100) param attached_media[%d] must be an unpublished photo of this Page", i))
			return
		}
		media = append(media, m.MediaFBID)
	}
	if message == "" && link == "" && len(media) == 0 {
		graphErr(w, 400, 100, 0, "OAuthException", "(#100) Missing message or attachment")
		return
	}
	if link != "" && !strings.HasPrefix(link, "http") {
		graphErr(w, 400, 1609005, 0, "OAuthException", "Error posting link")
		return
	}
	if f.duplicate(w, page, message) {
		return
	}
	for _, id := range media {
		f.photos[id].attached = true
	}
	p := f.newPost(page, message)
	p.link, p.media = link, media
	f.answerCreate(w, map[string]string{"id": p.id})
}

// photo is POST /{page-id}/photos with url (a public address Facebook fetches) and caption;
// published=false only uploads it, for a later attached_media.
func (f *fakeGraph) photo(w http.ResponseWriter, r *http.Request, page, token string, upload *fakeUpload) {
	if !f.pageAuth(w, page, token) {
		return
	}
	// A photo is the bytes as source (multipart/form-data) or a url Facebook fetches, not
	// both (https://developers.facebook.com/docs/graph-api/reference/page/photos/).
	u, err := url.Parse(r.PostForm.Get("url"))
	switch {
	case upload != nil && r.PostForm.Has("url"):
		graphErr(w, 400, 100, 0, "OAuthException", "(#100) Provide either url or source, not both")
		return
	case upload != nil && upload.field != "source":
		graphErr(w, 400, 100, 0, "OAuthException", "(#100) The photo file must be sent as source")
		return
	case upload == nil && (err != nil || (u.Scheme != "http" && u.Scheme != "https")):
		graphErr(w, 400, 324, 0, "OAuthException", "(#324) Requires upload file")
		return
	}
	ph := &fakePhoto{page: page, alt: r.PostForm.Get("alt_text_custom")}
	if upload != nil {
		ph.sha256, ph.size = upload.sha256, upload.size
	} else {
		ph.url = u.String()
	}
	if r.PostForm.Get("published") != "false" && f.failCreate(w) {
		return
	}
	f.nextID++
	photoID := strconv.Itoa(5000 + f.nextID)
	if r.PostForm.Get("published") == "false" {
		f.photos[photoID] = ph
		writeJSON(w, map[string]string{"id": photoID})
		return
	}
	caption := r.PostForm.Get("caption")
	if f.duplicate(w, page, caption) {
		return
	}
	ph.published = true
	f.photos[photoID] = ph
	p := f.newPost(page, caption)
	p.media = []string{photoID}
	f.answerCreate(w, map[string]string{"id": photoID, "post_id": p.id})
}

// video is POST /{page-id}/videos with file_url and description; it answers the video id, and
// the Page post is {page-id}_{video-id}.
func (f *fakeGraph) video(w http.ResponseWriter, r *http.Request, page, token string) {
	if !f.pageAuth(w, page, token) || f.failCreate(w) {
		return
	}
	u, err := url.Parse(r.PostForm.Get("file_url"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		graphErr(w, 400, 100, 0, "OAuthException", "(#100) Invalid parameter file_url")
		return
	}
	description := r.PostForm.Get("description")
	if f.duplicate(w, page, description) {
		return
	}
	f.nextID++
	videoID := strconv.Itoa(7000 + f.nextID)
	f.videos[videoID] = &fakeVideo{page: page, pollsLeft: f.processing, bad: f.badVideo}
	p := &fakePost{id: page + "_" + videoID, page: page, message: description, created: f.now, media: []string{u.String()}}
	f.posts[page] = append(f.posts[page], p)
	f.answerCreate(w, map[string]string{"id": videoID})
}

// list is GET /{page-id}/posts, newest first, with the fields asked and since as a Unix time.
func (f *fakeGraph) list(w http.ResponseWriter, r *http.Request, page, token string) {
	if !f.pageAuth(w, page, token) {
		return
	}
	fields := strings.Split(r.Form.Get("fields"), ",")
	for _, want := range []string{"message", "created_time", "permalink_url"} {
		if !slices.Contains(fields, want) {
			graphErr(w, 400, 100, 0, "OAuthException", "(#100) test fake: the adapter must ask for "+want)
			return
		}
	}
	var since time.Time
	if s := r.Form.Get("since"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			graphErr(w, 400, 100, 0, "OAuthException", "(#100) since must be a time")
			return
		}
		since = time.Unix(n, 0)
	}
	ps := f.posts[page]
	data := []map[string]string{}
	for i := len(ps) - 1; i >= 0; i-- {
		p := ps[i]
		if p.created.Before(since) {
			continue
		}
		_, post, _ := strings.Cut(p.id, "_")
		data = append(data, map[string]string{
			"id": p.id, "message": p.message, "created_time": p.created.UTC().Format("2006-01-02T15:04:05+0000"),
			"permalink_url": "https://www.facebook.com/" + page + "/posts/" + post,
		})
	}
	writeJSON(w, map[string]any{"data": data})
}

func (f *fakeGraph) findPost(w http.ResponseWriter, id, token string) *fakePost {
	page, _, _ := strings.Cut(id, "_")
	if !f.pageAuth(w, page, token) {
		return nil
	}
	for _, p := range f.posts[page] {
		if p.id == id {
			return p
		}
	}
	graphErr(w, 400, 100, 33, "GraphMethodException", "Unsupported get request. Object with ID does not exist")
	return nil
}

// postFields is GET /{post-id} with reactions.summary(true), comments.summary(true), shares;
// shares is absent while nobody shared.
func (f *fakeGraph) postFields(w http.ResponseWriter, r *http.Request, id, token string) {
	p := f.findPost(w, id, token)
	if p == nil {
		return
	}
	out := map[string]any{"id": p.id}
	asked := 0
	// Graph fails the whole request when one field is refused (a permission missing).
	for _, field := range strings.Split(r.Form.Get("fields"), ",") {
		name, _, _ := strings.Cut(field, ".")
		if ref, ok := f.refuse[name]; ok {
			graphErr(w, ref.status, ref.code, 0, "OAuthException", ref.message)
			return
		}
		switch field {
		case "reactions.summary(true).limit(0)":
			out["reactions"] = map[string]any{"data": []any{}, "summary": map[string]any{"total_count": p.reactions, "viewer_reaction": "NONE"}}
		case "comments.summary(true).limit(0)":
			out["comments"] = map[string]any{"data": []any{}, "summary": map[string]any{"order": "ranked", "total_count": p.comments, "can_comment": true}}
		case "shares":
			// shares is absent while nobody shared.
			if p.shares > 0 {
				out["shares"] = map[string]any{"count": p.shares}
			}
		default:
			graphErr(w, 400, 100, 0, "OAuthException", "(#100) test fake: unexpected field "+field)
			return
		}
		asked++
	}
	if asked == 0 {
		graphErr(w, 400, 100, 0, "OAuthException", "(#100) test fake: no fields asked")
		return
	}
	writeJSON(w, out)
}

// insights is GET /{post-id}/insights?metric=...; the impressions metrics were deprecated and
// now answer an invalid-metric error.
func (f *fakeGraph) insights(w http.ResponseWriter, r *http.Request, id, token string) {
	p := f.findPost(w, id, token)
	if p == nil {
		return
	}
	var data []map[string]any
	for _, m := range strings.Split(r.Form.Get("metric"), ",") {
		if ref, ok := f.refuse[m]; ok {
			graphErr(w, ref.status, ref.code, 0, "OAuthException", ref.message)
			return
		}
		var v int64
		switch m {
		case "post_media_view":
			v = p.views
		case "post_total_media_view_unique":
			v = p.reach
		default:
			graphErr(w, 400, 100, 0, "OAuthException", "(#100) The value must be a valid insights metric")
			return
		}
		data = append(data, map[string]any{"name": m, "period": "lifetime", "values": []map[string]any{{"value": v}}, "id": id + "/insights/" + m + "/lifetime"})
	}
	writeJSON(w, map[string]any{"data": data})
}

// videoStatus is GET /{video-id}?fields=status: "processing" for the first polls, then
// "ready" or "error" (https://developers.facebook.com/docs/graph-api/reference/video-status).
func (f *fakeGraph) videoStatus(w http.ResponseWriter, r *http.Request, id, token string) {
	v := f.videos[id]
	if !f.pageAuth(w, v.page, token) {
		return
	}
	if r.Form.Get("fields") != "status" {
		graphErr(w, 400, 100, 0, "OAuthException", "(#100) test fake: the adapter must ask for status")
		return
	}
	status := "ready"
	switch {
	case v.pollsLeft > 0:
		v.pollsLeft--
		status = "processing"
	case v.bad:
		status = "error"
	}
	writeJSON(w, map[string]any{"id": id, "status": map[string]any{"video_status": status}})
}

// fakeUpload is the file of a multipart/form-data request, digested as it was read.
type fakeUpload struct {
	field, name string
	size        int64
	sha256      string
}

// parseRequest reads a request's parameters into r.Form and r.PostForm, as Graph takes
// them from the query, a form body or a multipart/form-data body
// (https://developers.facebook.com/docs/graph-api/overview), and digests the one file of
// a multipart body without keeping it.
func parseRequest(r *http.Request) (*fakeUpload, error) {
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		return nil, r.ParseForm()
	}
	if err := r.ParseForm(); err != nil { // the query
		return nil, err
	}
	r.PostForm = url.Values{}
	mr := multipart.NewReader(r.Body, params["boundary"])
	var up *fakeUpload
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return up, nil
		}
		if err != nil {
			return nil, err
		}
		if part.FileName() == "" {
			v, err := io.ReadAll(io.LimitReader(part, 1<<20))
			if err != nil {
				return nil, err
			}
			r.PostForm.Add(part.FormName(), string(v))
			r.Form.Add(part.FormName(), string(v))
			continue
		}
		if up != nil {
			return nil, errors.New("more than one file")
		}
		h := sha256.New()
		n, err := io.Copy(h, part)
		if err != nil {
			return nil, err
		}
		up = &fakeUpload{field: part.FormName(), name: part.FileName(), size: n, sha256: hex.EncodeToString(h.Sum(nil))}
	}
}

// comment is POST /{post-id}/comments with message, by the Page whose token it is: answered
// {"id": "{post-id}_{comment-id}"}; a post that does not exist is code 100, subcode 33.
func (f *fakeGraph) comment(w http.ResponseWriter, r *http.Request, id, token string) {
	p := f.findPost(w, id, token)
	if p == nil {
		return
	}
	if fail := f.commentFailure; fail != nil {
		f.commentFailure = nil
		for k, vs := range fail.header {
			for _, v := range vs {
				w.Header().Add(k, v)
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(fail.status)
		_, _ = w.Write([]byte(fail.body))
		return
	}
	message := r.PostForm.Get("message")
	if strings.TrimSpace(message) == "" && r.PostForm.Get("attachment_url") == "" {
		graphErr(w, 400, 100, 0, "OAuthException", "(#100) Missing message or attachment")
		return
	}
	f.nextID++
	c := &fakeComment{id: fmt.Sprintf("%s_%d", strings.SplitN(p.id, "_", 2)[1], 5000+f.nextID), from: p.page, message: message, created: f.now}
	p.commentList = append(p.commentList, c)
	p.comments++
	if f.loseNextComment {
		f.loseNextComment = false
		f.loseNext = true
	}
	f.answerCreate(w, map[string]string{"id": c.id})
}

// listComments is GET /{post-id}/comments: with filter=stream every comment, in the order
// asked (chronological by default), a page of pageSize at a time; from only when fields
// asks for it.
func (f *fakeGraph) listComments(w http.ResponseWriter, r *http.Request, id, token string) {
	p := f.findPost(w, id, token)
	if p == nil {
		return
	}
	fields := strings.Split(r.Form.Get("fields"), ",")
	cs := slices.Clone(p.commentList)
	if r.Form.Get("order") == "reverse_chronological" {
		slices.Reverse(cs)
	}
	f.writeList(w, r, len(cs), func(i int) any {
		c := cs[i]
		out := map[string]any{"id": c.id}
		for _, field := range fields {
			switch field {
			case "message":
				out["message"] = c.message
			case "created_time":
				out["created_time"] = c.created.UTC().Format("2006-01-02T15:04:05+0000")
			case "from":
				out["from"] = map[string]string{"id": c.from, "name": "Page " + c.from}
			}
		}
		return out
	})
}
