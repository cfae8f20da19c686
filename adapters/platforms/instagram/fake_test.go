package instagram

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeGraph is an httptest fake of Facebook Login and the Instagram Graph API (Facebook
// Login flavour), enforcing the documented contract. Each behaviour cites its page.
type fakeGraph struct {
	t       *testing.T
	srv     *httptest.Server
	version string

	mu        sync.Mutex
	codes     map[string]fakeCode   // authorization code -> what it was issued for
	tokens    map[string]*fakeToken // access token -> its state
	pages     []fakePage            // every person's Pages; user "" is the default person
	quota     map[string]int        // ig user id -> quota_usage
	container map[string]*fakeCont  // container id -> container
	media     map[string]*fakeMedia // media id -> published media
	order     []string              // media ids, oldest first
	calls     []string              // "METHOD /path" of every API call, in order
	inject    map[string][]fakeFail // "METHOD /path" -> failures to play, in order
	lose      map[string]int        // "METHOD /path" -> answers to drop after doing the work
	// failContainer is played by the next POST /{ig-user-id}/media, whatever the account;
	// loseNextPublish drops the answer of the next media_publish, whatever the account.
	failContainer   *fakeFail
	loseNextPublish bool
	// failComment is played by the next POST /{ig-media-id}/comments; loseNextComment drops
	// the answer of the next one, after the comment is made.
	failComment     *fakeFail
	loseNextComment bool
	nextID          int
	fewViews        bool // insights answer (#10) Not enough viewers
	// longLogin makes the code grant answer a long-lived token (expires_in about 60 days).
	longLogin bool
}

type fakeCode struct {
	redirect, challenge, user string
}

// fakeToken is a user token (short- or long-lived) or a Page token of one person.
type fakeToken struct {
	kind       string    // "short", "long" or "page"
	user, page string    // whose, and for a Page token which Page
	expires    time.Time // zero: never (a Page token from a long-lived user token)
	dataAccess time.Time // the person's data access expiration
	revoked    bool
}

type fakePage struct {
	user, id, name, igID, igName string
}

type fakeCont struct {
	owner, mediaType, url, caption string
	alt                            string // an alt_text parameter, if one was sent (Meta's reference documents none)
	carouselItem                   bool
	children                       []string
	pollsLeft                      int    // reads still IN_PROGRESS; -1: forever
	final                          string // status after processing: FINISHED or ERROR
	status                         string // the status text for ERROR
	published                      bool
}

type fakeMedia struct {
	id, owner, caption, permalink string
	creation                      string // the container it was published from
	at                            time.Time
	likes, comments               int64
	insights                      map[string]int64
	commentList                   []fakeComment // oldest first
}

// fakeComment is an IG Comment
// (https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-comment).
type fakeComment struct {
	id, from, username, text string
	at                       time.Time
}

type fakeFail struct {
	status    int
	code      int
	subcode   int
	transient bool
	header    http.Header
}

const (
	fakeAppID     = "app-1"
	fakeAppSecret = "secret-1"
	fakeRedirect  = "https://herald.example/connect/instagram/callback"
)

func newFakeGraph(t *testing.T) *fakeGraph {
	f := &fakeGraph{
		t: t, version: "v25.0",
		codes: map[string]fakeCode{}, tokens: map[string]*fakeToken{}, quota: map[string]int{},
		container: map[string]*fakeCont{}, media: map[string]*fakeMedia{}, inject: map[string][]fakeFail{}, lose: map[string]int{},
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// adapter returns an adapter pointed at the fake, with fast polling.
func (f *fakeGraph) adapter(now time.Time) *Adapter {
	return New(Config{
		ClientID: fakeAppID, ClientSecret: fakeAppSecret,
		AuthURL:      f.srv.URL + "/" + f.version + "/dialog/oauth",
		TokenURL:     f.srv.URL + "/" + f.version + "/oauth/access_token",
		APIURL:       f.srv.URL,
		APIVersion:   f.version,
		HTTPClient:   f.srv.Client(),
		PKCE:         true,
		Now:          func() time.Time { return now },
		// A deadline far beyond a few polls even on a loaded machine; only "stuck" media reach it.
		PollInterval: 10 * time.Millisecond, PollTimeout: 10 * time.Second,
	})
}

// mediaCount returns how many media were published.
func (f *fakeGraph) mediaCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.media)
}

// caption returns the caption of published media id.
func (f *fakeGraph) caption(id string) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, ok := f.media[id]
	if !ok {
		return "", false
	}
	return m.caption, true
}

// userToken issues a valid long-lived user token of the default person.
func (f *fakeGraph) userToken(now time.Time) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	tok := f.id("EAAlong")
	f.tokens[tok] = &fakeToken{kind: "long", expires: now.Add(60 * 24 * time.Hour), dataAccess: time.Now().Add(90 * 24 * time.Hour)}
	return tok
}

// pageToken issues the default person's Page token for the Page linked to ig, as /me/accounts
// gives it for a long-lived user token: no expiry.
func (f *fakeGraph) pageToken(ig string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.pages {
		if p.igID == ig {
			tok := f.id("EAApage")
			f.tokens[tok] = &fakeToken{kind: "page", user: p.user, page: p.id, dataAccess: time.Now().Add(90 * 24 * time.Hour)}
			return tok
		}
	}
	f.t.Fatalf("fake: no Page linked to %s", ig)
	return ""
}

// issueCode plays the consent dialog for the default person: a code for redirect with the
// S256 challenge.
func (f *fakeGraph) issueCode(redirect, challenge string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	code := f.id("AQcode")
	f.codes[code] = fakeCode{redirect: redirect, challenge: challenge}
	return code
}

func (f *fakeGraph) failNext(method, path string, fails ...fakeFail) {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := method + " " + path
	f.inject[key] = append(f.inject[key], fails...)
}

// loseNext makes the next call to method path do its work and drop its answer.
func (f *fakeGraph) loseNext(method, path string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lose[method+" "+path]++
}

func (f *fakeGraph) called() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeGraph) id(prefix string) string {
	f.nextID++
	return prefix + strconv.Itoa(1000+f.nextID)
}

// write answers the failure: its headers, then the Graph error body.
func (fail fakeFail) write(w http.ResponseWriter) {
	for k, vs := range fail.header {
		w.Header()[k] = vs
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(fail.status)
	e := map[string]any{"message": "injected failure", "type": "OAuthException", "code": fail.code, "fbtrace_id": "AbCdEf"}
	if fail.subcode != 0 {
		e["error_subcode"] = fail.subcode
	}
	if fail.transient {
		e["is_transient"] = true
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"error": e})
}

// graphErr writes the Graph API error body.
// https://developers.facebook.com/docs/graph-api/guides/error-handling
func graphErr(w http.ResponseWriter, status, code, subcode int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	e := map[string]any{"message": msg, "type": "OAuthException", "code": code, "fbtrace_id": "AbCdEf"}
	if subcode != 0 {
		e["error_subcode"] = subcode
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"error": e})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// dropAnswer breaks the connection without an answer, as a network failure after the
// request reached the platform.
func dropAnswer(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("fake: cannot hijack the connection")
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		_ = conn.Close()
	}
}

func proof(token string) string {
	mac := hmac.New(sha256.New, []byte(fakeAppSecret))
	mac.Write([]byte(token))
	return hex.EncodeToString(mac.Sum(nil))
}

func (f *fakeGraph) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := r.ParseForm(); err != nil {
		graphErr(w, 400, 100, 0, "Invalid parameter")
		return
	}
	// The version is part of every path: https://developers.facebook.com/docs/graph-api/guides/versioning
	// (an unversioned call silently takes the app dashboard's version). The fake refuses any
	// path without the version Herald pins, so the adapter cannot drift.
	prefix := "/" + f.version + "/"
	if !strings.HasPrefix(r.URL.Path, prefix) {
		graphErr(w, 400, 100, 0, "Unsupported request: unknown or missing API version")
		return
	}
	path := strings.TrimPrefix(r.URL.Path, prefix)
	key := r.Method + " /" + path
	f.calls = append(f.calls, key)
	if fails := f.inject[key]; len(fails) > 0 {
		fail := fails[0]
		f.inject[key] = fails[1:]
		fail.write(w)
		return
	}
	if path == "oauth/access_token" {
		f.token(w, r)
		return
	}
	if r.URL.Query().Get("access_token") != "" && r.Method == http.MethodPost {
		graphErr(w, 400, 100, 0, "Herald keeps POST tokens out of URLs") // our own rule, checked here
		return
	}
	// The app requires the app secret: every call carries appsecret_proof, the HMAC-SHA256
	// of its access token keyed by the app secret, else "Invalid appsecret_proof".
	// https://developers.facebook.com/docs/graph-api/securing-requests
	token := r.Form.Get("access_token")
	if r.Form.Get("appsecret_proof") != proof(token) {
		graphErr(w, 400, 100, 0, "Invalid appsecret_proof provided in the API argument")
		return
	}
	if path == "debug_token" && r.Method == http.MethodGet {
		f.debugToken(w, r)
		return
	}
	// Every API call carries a valid access token, else code 190.
	// https://developers.facebook.com/docs/graph-api/guides/error-handling ("190 Access token has expired")
	tok, ok := f.tokens[token]
	if !ok || tok.revoked {
		graphErr(w, 400, 190, 0, "Invalid OAuth access token - Cannot parse access token")
		return
	}
	if !tok.expires.IsZero() && !tok.expires.After(time.Now()) || !tok.dataAccess.After(time.Now()) {
		graphErr(w, 400, 190, 463, "Error validating access token: Session has expired")
		return
	}
	parts := strings.Split(path, "/")
	if f.failContainer != nil && len(parts) == 2 && parts[1] == "media" && r.Method == http.MethodPost {
		fail := f.failContainer
		f.failContainer = nil
		fail.write(w)
		return
	}
	switch {
	case path == "me/accounts" && r.Method == http.MethodGet:
		f.accounts(w, r, tok)
	case len(parts) == 2 && parts[1] == "content_publishing_limit" && r.Method == http.MethodGet:
		f.publishingLimit(w, r, tok, parts[0])
	case len(parts) == 2 && parts[1] == "media" && r.Method == http.MethodPost:
		f.createContainer(w, r, tok, parts[0])
	case len(parts) == 2 && parts[1] == "media" && r.Method == http.MethodGet:
		f.listMedia(w, r, tok, parts[0])
	case len(parts) == 2 && parts[1] == "media_publish" && r.Method == http.MethodPost:
		f.mediaPublish(w, r, tok, parts[0], key)
	case len(parts) == 2 && parts[1] == "comments" && r.Method == http.MethodPost:
		f.comment(w, r, tok, parts[0])
	case len(parts) == 2 && parts[1] == "comments" && r.Method == http.MethodGet:
		f.listComments(w, r, tok, parts[0])
	case len(parts) == 2 && parts[1] == "insights" && r.Method == http.MethodGet:
		f.insights(w, r, parts[0])
	case len(parts) == 1 && r.Method == http.MethodGet:
		f.node(w, r, parts[0])
	default:
		graphErr(w, 400, 100, 33, "Unsupported request - method type: "+strings.ToLower(r.Method))
	}
}

// token plays oauth/access_token: the code grant, which the manual flow shows as a GET and
// x/oauth2 sends as a form POST, both accepted
// (https://developers.facebook.com/documentation/facebook-login/guides/advanced/manual-flow,
// PKCE verifier: https://developers.facebook.com/documentation/facebook-login/guides/advanced/oidc-token),
// and fb_exchange_token, a GET taking a short-lived user token
// (https://developers.facebook.com/documentation/facebook-login/guides/access-tokens/get-long-lived).
func (f *fakeGraph) token(w http.ResponseWriter, r *http.Request) {
	q := r.Form
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		graphErr(w, 400, 100, 33, "Unsupported request")
		return
	}
	if q.Get("client_id") != fakeAppID || q.Get("client_secret") != fakeAppSecret {
		graphErr(w, 400, 1, 0, "Error validating client secret.")
		return
	}
	if q.Get("grant_type") == "fb_exchange_token" {
		old, ok := f.tokens[q.Get("fb_exchange_token")]
		if !ok || old.revoked || old.kind != "short" || !old.expires.After(time.Now()) {
			graphErr(w, 400, 190, 460, "Error validating access token: The session has been invalidated")
			return
		}
		tok := f.id("EAAlong")
		f.tokens[tok] = &fakeToken{kind: "long", user: old.user, expires: time.Now().Add(5183944 * time.Second), dataAccess: old.dataAccess}
		writeJSON(w, map[string]any{"access_token": tok, "token_type": "bearer", "expires_in": 5183944})
		return
	}
	code, ok := f.codes[q.Get("code")]
	if !ok {
		graphErr(w, 400, 100, 36009, "This authorization code has been used.")
		return
	}
	delete(f.codes, q.Get("code"))
	if q.Get("redirect_uri") != code.redirect {
		graphErr(w, 400, 100, 36008, "Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request")
		return
	}
	if code.challenge != "" {
		sum := sha256.Sum256([]byte(q.Get("code_verifier")))
		if base64.RawURLEncoding.EncodeToString(sum[:]) != code.challenge {
			graphErr(w, 400, 100, 0, "Invalid code verifier")
			return
		}
	}
	if f.longLogin {
		tok := f.id("EAAlong")
		f.tokens[tok] = &fakeToken{kind: "long", user: code.user, expires: time.Now().Add(5183944 * time.Second), dataAccess: time.Now().Add(90 * 24 * time.Hour)}
		writeJSON(w, map[string]any{"access_token": tok, "token_type": "bearer", "expires_in": 5183944})
		return
	}
	tok := f.id("EAAshort")
	// A login renews the person's data access for 90 days: https://developers.facebook.com/docs/facebook-login/auth-vs-data
	f.tokens[tok] = &fakeToken{kind: "short", user: code.user, expires: time.Now().Add(2 * time.Hour), dataAccess: time.Now().Add(90 * 24 * time.Hour)}
	for _, t := range f.tokens {
		if t.user == code.user {
			t.dataAccess = f.tokens[tok].dataAccess
		}
	}
	writeJSON(w, map[string]any{"access_token": tok, "token_type": "bearer", "expires_in": 5183})
}

// debugToken plays GET /debug_token?input_token=...: the caller is the app (its app access
// token "{app-id}|{app-secret}"); an unknown or revoked input token answers is_valid false
// with its error, a valid one its type, expires_at (0: never) and data_access_expires_at.
// https://developers.facebook.com/docs/graph-api/reference/debug_token
func (f *fakeGraph) debugToken(w http.ResponseWriter, r *http.Request) {
	if r.Form.Get("access_token") != fakeAppID+"|"+fakeAppSecret {
		graphErr(w, 400, 190, 0, "Invalid OAuth access token - Cannot parse access token")
		return
	}
	in, ok := f.tokens[r.Form.Get("input_token")]
	if !ok || in.revoked {
		writeJSON(w, map[string]any{"data": map[string]any{"is_valid": false, "scopes": []string{},
			"error": map[string]any{"code": 190, "message": "Invalid OAuth access token.", "subcode": 460}}})
		return
	}
	typ := "USER"
	if in.kind == "page" {
		typ = "PAGE"
	}
	var expires int64
	if !in.expires.IsZero() {
		expires = in.expires.Unix()
	}
	valid := (in.expires.IsZero() || in.expires.After(time.Now())) && in.dataAccess.After(time.Now())
	writeJSON(w, map[string]any{"data": map[string]any{
		"app_id": fakeAppID, "type": typ, "application": "Herald", "is_valid": valid,
		"expires_at": expires, "data_access_expires_at": in.dataAccess.Unix(), "issued_at": time.Now().Unix(),
		"scopes": []string{"instagram_basic", "instagram_content_publish", "instagram_manage_insights", "pages_show_list", "pages_read_engagement"},
	}})
}

// accounts plays GET /me/accounts with access_token and instagram_business_account, two
// Pages a page, paginated with paging.cursors.after and paging.next
// (https://developers.facebook.com/docs/graph-api/results/). Each Page comes with its Page
// access token; one read with a long-lived user token does not expire
// (https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived).
func (f *fakeGraph) accounts(w http.ResponseWriter, r *http.Request, tok *fakeToken) {
	q := r.URL.Query()
	if !strings.Contains(q.Get("fields"), "instagram_business_account{id,username}") || !strings.Contains(q.Get("fields"), "access_token") {
		graphErr(w, 400, 100, 0, "fields must ask for access_token and instagram_business_account")
		return
	}
	if tok.kind != "long" {
		graphErr(w, 400, 100, 0, "the fake expects the long-lived user token here")
		return
	}
	var mine []fakePage
	for _, p := range f.pages {
		if p.user == tok.user {
			mine = append(mine, p)
		}
	}
	start, _ := strconv.Atoi(q.Get("after"))
	end := min(start+2, len(mine))
	var data []map[string]any
	for _, p := range mine[start:end] {
		pt := f.id("EAApage")
		f.tokens[pt] = &fakeToken{kind: "page", user: tok.user, page: p.id, dataAccess: tok.dataAccess}
		page := map[string]any{"id": p.id, "name": p.name, "access_token": pt}
		if p.igID != "" {
			page["instagram_business_account"] = map[string]any{"id": p.igID, "username": p.igName}
		}
		data = append(data, page)
	}
	out := map[string]any{"data": data}
	if end < len(mine) {
		next := url.Values{"fields": {q.Get("fields")}, "access_token": {q.Get("access_token")}, "appsecret_proof": {q.Get("appsecret_proof")}, "limit": {"2"}, "after": {strconv.Itoa(end)}}
		out["paging"] = map[string]any{"cursors": map[string]any{"after": strconv.Itoa(end)}, "next": f.srv.URL + "/" + f.version + "/me/accounts?" + next.Encode()}
	}
	writeJSON(w, out)
}

// owns reports whether tok may act for the Instagram account ig: a user token of a person
// whose Page is linked to it, or that Page's token. "The app user whose token is used in
// the request must be able to perform MANAGE or CREATE_CONTENT tasks on the Page connected
// to the targeted Instagram account"
// (https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/ig-user/media_publish).
func (f *fakeGraph) owns(tok *fakeToken, ig string) bool {
	for _, p := range f.pages {
		if p.igID == ig && p.user == tok.user && (tok.kind != "page" || tok.page == p.id) {
			return true
		}
	}
	return false
}

// publishingLimit plays GET /{ig-user-id}/content_publishing_limit
// (https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/ig-user/content_publishing_limit.md).
func (f *fakeGraph) publishingLimit(w http.ResponseWriter, r *http.Request, tok *fakeToken, ig string) {
	if !f.owns(tok, ig) {
		graphErr(w, 400, 100, 33, "Object with ID '"+ig+"' does not exist")
		return
	}
	if !strings.Contains(r.URL.Query().Get("fields"), "config") {
		graphErr(w, 400, 100, 0, "the fake expects fields=quota_usage,config")
		return
	}
	writeJSON(w, map[string]any{"data": []any{map[string]any{"quota_usage": f.quota[ig], "config": map[string]any{"quota_total": 50, "quota_duration": 86400}}}})
}

// createContainer plays POST /{ig-user-id}/media
// (https://developers.facebook.com/documentation/instagram-platform/content-publishing.md):
// image_url; media_type=REELS + video_url; carousel items with is_carousel_item=true (videos
// media_type=VIDEO); media_type=CAROUSEL with up to 10 FINISHED children. A media URL with
// "slow" stays IN_PROGRESS for 3 reads, "stuck" forever, "broken" ends in ERROR (2207026).
func (f *fakeGraph) createContainer(w http.ResponseWriter, r *http.Request, tok *fakeToken, ig string) {
	if !f.owns(tok, ig) {
		graphErr(w, 400, 100, 33, "Object with ID '"+ig+"' does not exist")
		return
	}
	form := r.PostForm
	c := &fakeCont{owner: ig, mediaType: form.Get("media_type"), caption: form.Get("caption"), alt: form.Get("alt_text"), carouselItem: form.Get("is_carousel_item") == "true", final: "FINISHED"}
	switch c.mediaType {
	case "":
		c.mediaType, c.url = "IMAGE", form.Get("image_url")
		if c.url == "" {
			graphErr(w, 400, 100, 0, "The parameter image_url is required")
			return
		}
	case "REELS", "VIDEO":
		c.url = form.Get("video_url")
		if c.url == "" || (c.mediaType == "VIDEO" && !c.carouselItem) {
			graphErr(w, 400, 100, 0, "The parameter video_url is required; single videos are REELS")
			return
		}
	case "CAROUSEL":
		c.children = strings.Split(form.Get("children"), ",")
		if len(c.children) < 2 || len(c.children) > 10 {
			graphErr(w, 400, 100, 0, "A carousel takes 2 to 10 children")
			return
		}
		for _, id := range c.children {
			child, ok := f.container[id]
			if !ok || !child.carouselItem || child.owner != ig || child.pollsLeft != 0 || child.final != "FINISHED" {
				graphErr(w, 400, 9007, 2207027, "The media is not ready for publishing, please wait for a moment")
				return
			}
		}
	default:
		graphErr(w, 400, 100, 0, "Invalid media_type")
		return
	}
	if c.carouselItem && c.caption != "" {
		graphErr(w, 400, 100, 0, "Carousel items take no caption")
		return
	}
	switch {
	case strings.Contains(c.url, "slow"):
		c.pollsLeft = 3
	case strings.Contains(c.url, "stuck"):
		c.pollsLeft = -1
	case strings.Contains(c.url, "broken"):
		c.final, c.status = "ERROR", "Error: Media upload has failed with error code 2207026"
	}
	id := f.id("1790")
	f.container[id] = c
	writeJSON(w, map[string]any{"id": id})
}

// node plays GET /{container-id}?fields=status_code
// (https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/ig-container.md)
// and GET /{ig-media-id}?fields=permalink,timestamp,like_count,comments_count
// (https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/ig-media).
func (f *fakeGraph) node(w http.ResponseWriter, r *http.Request, id string) {
	fields := r.URL.Query().Get("fields")
	if c, ok := f.container[id]; ok {
		if !strings.Contains(fields, "status_code") {
			graphErr(w, 400, 100, 0, "the fake expects fields=status_code")
			return
		}
		status := c.final
		switch {
		case c.published:
			status = "PUBLISHED"
		case c.pollsLeft != 0:
			status = "IN_PROGRESS"
			if c.pollsLeft > 0 {
				c.pollsLeft--
			}
		}
		out := map[string]any{"id": id, "status_code": status}
		if status == "ERROR" {
			out["status"] = c.status
		}
		writeJSON(w, out)
		return
	}
	m, ok := f.media[id]
	if !ok {
		graphErr(w, 400, 100, 33, "Object with ID '"+id+"' does not exist")
		return
	}
	out := map[string]any{"id": id}
	for _, field := range strings.Split(fields, ",") {
		switch field {
		case "permalink":
			out["permalink"] = m.permalink
		case "timestamp":
			out["timestamp"] = m.at.Format("2006-01-02T15:04:05-0700")
		case "like_count":
			out["like_count"] = m.likes
		case "comments_count":
			out["comments_count"] = m.comments
		case "caption":
			out["caption"] = m.caption
		default:
			graphErr(w, 400, 100, 0, "Tried accessing nonexisting field ("+field+")")
			return
		}
	}
	writeJSON(w, out)
}

// mediaPublish plays POST /{ig-user-id}/media_publish
// (https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/ig-user/media_publish.md):
// only a FINISHED, unpublished container of that user that is not a carousel item;
// otherwise 9007/2207027 "not ready" (error-codes page).
func (f *fakeGraph) mediaPublish(w http.ResponseWriter, r *http.Request, tok *fakeToken, ig, key string) {
	if !f.owns(tok, ig) {
		graphErr(w, 400, 10, 0, "Application does not have permission for this action")
		return
	}
	c, ok := f.container[r.PostForm.Get("creation_id")]
	if !ok || c.owner != ig || c.carouselItem || c.published || c.pollsLeft != 0 || c.final != "FINISHED" {
		graphErr(w, 400, 9007, 2207027, "The media is not ready for publishing, please wait for a moment")
		return
	}
	if f.quota[ig] >= 50 {
		graphErr(w, 400, 9, 2207042, "You reached maximum number of posts that is allowed to be published by Content Publish API.")
		return
	}
	c.published = true
	f.quota[ig]++
	id := f.id("1789")
	f.media[id] = &fakeMedia{id: id, owner: ig, creation: r.PostForm.Get("creation_id"), caption: c.caption, permalink: "https://www.instagram.com/p/" + id + "/", at: time.Date(2026, 11, 26, 1, 2, 3, 0, time.UTC), likes: 12, comments: 3,
		insights: map[string]int64{"reach": 40, "views": 55, "shares": 2, "saved": 5, "likes": 12, "comments": 3, "total_interactions": 22}}
	f.order = append(f.order, id)
	if f.lose[key] > 0 || f.loseNextPublish {
		f.lose[key] = max(f.lose[key]-1, 0)
		f.loseNextPublish = false
		dropAnswer(w)
		return
	}
	writeJSON(w, map[string]any{"id": id})
}

// listMedia plays GET /{ig-user-id}/media, newest first
// (https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/ig-user/media).
func (f *fakeGraph) listMedia(w http.ResponseWriter, r *http.Request, tok *fakeToken, ig string) {
	if !f.owns(tok, ig) {
		graphErr(w, 400, 100, 33, "Object with ID '"+ig+"' does not exist")
		return
	}
	var data []map[string]any
	for i := len(f.order) - 1; i >= 0; i-- {
		m := f.media[f.order[i]]
		if m.owner != ig {
			continue
		}
		data = append(data, map[string]any{"id": m.id, "caption": m.caption, "permalink": m.permalink, "timestamp": m.at.Format("2006-01-02T15:04:05-0700")})
	}
	writeJSON(w, map[string]any{"data": data})
}

// insights plays GET /{ig-media-id}/insights: impressions is refused since its removal
// (v22.0; all versions from 2025-04-21), and (#10) when too few people saw the media.
// https://developers.facebook.com/documentation/instagram-platform/reference/instagram-media/insights
func (f *fakeGraph) insights(w http.ResponseWriter, r *http.Request, id string) {
	m, ok := f.media[id]
	if !ok {
		graphErr(w, 400, 100, 33, "Object with ID '"+id+"' does not exist")
		return
	}
	if f.fewViews {
		graphErr(w, 400, 10, 0, "(#10) Not enough viewers for the media to show insights")
		return
	}
	values := m.insights
	var data []map[string]any
	for _, name := range strings.Split(r.URL.Query().Get("metric"), ",") {
		v, ok := values[name]
		if !ok {
			graphErr(w, 400, 100, 2108006, fmt.Sprintf("(#100) metric[0] must be one of the following values: reach, views, shares, saved, ... (got %s)", name))
			return
		}
		data = append(data, map[string]any{"name": name, "period": "lifetime", "values": []any{map[string]any{"value": v}}, "id": id + "/insights/" + name + "/lifetime"})
	}
	writeJSON(w, map[string]any{"data": data})
}

// commentable returns the media id names when the token's person owns it, else answers
// Graph's error for an object that does not exist (or is not theirs).
func (f *fakeGraph) commentable(w http.ResponseWriter, tok *fakeToken, id string) *fakeMedia {
	m, ok := f.media[id]
	if !ok || !f.owns(tok, m.owner) {
		graphErr(w, 400, 100, 33, "Object with ID '"+id+"' does not exist, cannot be loaded due to missing permissions, or does not support this operation")
		return nil
	}
	return m
}

// comment plays POST /{ig-media-id}/comments with message, answered {"id": ...}
// (https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-media/comments).
func (f *fakeGraph) comment(w http.ResponseWriter, r *http.Request, tok *fakeToken, id string) {
	m := f.commentable(w, tok, id)
	if m == nil {
		return
	}
	if fail := f.failComment; fail != nil {
		f.failComment = nil
		fail.write(w)
		return
	}
	text := r.PostForm.Get("message")
	if strings.TrimSpace(text) == "" {
		graphErr(w, 400, 100, 0, "(#100) The parameter message is required")
		return
	}
	username := ""
	for _, p := range f.pages {
		if p.igID == m.owner {
			username = p.igName
		}
	}
	c := fakeComment{id: f.id("1790"), from: m.owner, username: username, text: text, at: time.Date(2026, 11, 26, 1, 3, 0, 0, time.UTC)}
	m.commentList = append(m.commentList, c)
	m.comments++
	if f.loseNextComment {
		f.loseNextComment = false
		dropAnswer(w)
		return
	}
	writeJSON(w, map[string]any{"id": c.id})
}

// listComments plays GET /{ig-media-id}/comments, newest first, with the fields asked
// (from is {id, username}).
func (f *fakeGraph) listComments(w http.ResponseWriter, r *http.Request, tok *fakeToken, id string) {
	m := f.commentable(w, tok, id)
	if m == nil {
		return
	}
	fields := strings.Split(r.Form.Get("fields"), ",")
	data := []map[string]any{}
	for i := len(m.commentList) - 1; i >= 0; i-- {
		c := m.commentList[i]
		out := map[string]any{"id": c.id}
		for _, field := range fields {
			switch field {
			case "text":
				out["text"] = c.text
			case "timestamp":
				out["timestamp"] = c.at.Format("2006-01-02T15:04:05-0700")
			case "username":
				out["username"] = c.username
			case "from":
				out["from"] = map[string]string{"id": c.from, "username": c.username}
			}
		}
		data = append(data, out)
	}
	writeJSON(w, map[string]any{"data": data})
}
