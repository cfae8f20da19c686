package tiktok

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// fake is an httptest TikTok that enforces the documented contract of the endpoints the
// adapter uses. Each behaviour cites its page.
type fake struct {
	t   *testing.T
	srv *httptest.Server

	mu           sync.Mutex
	clientKey    string
	clientSecret string
	redirectURI  string
	rotate       bool                // refresh answers with a new refresh token (TikTok rotates them)
	grantScope   string              // the scopes f.code grants
	codes        map[string]*grant   // code -> the grant it gives, single use
	access       map[string]*grant   // access token -> grant
	refresh      map[string]*grant   // refresh token -> the grant it renews
	users        map[string]*creator // open_id -> creator
	verified     []string            // URL prefixes verified for PULL_FROM_URL
	statuses     []string            // the statuses a publish goes through, last one sticks
	polling      func(polls int)     // called as a status poll arrives, before it is answered, with the count
	failReason   string              // fail_reason when the last status is FAILED
	publishes    map[string]*publish // publish_id -> publish
	failures     map[string][]injected
	requests     map[string]int // path -> count
	lastInit     videoInitSeen
	serial       int
	now          time.Time

	// FILE_UPLOAD, inbox and photo posts.
	rules         chunkRules        // the chunk rules, scaled down for tests (same shape as TikTok's)
	media         map[string][]byte // name -> bytes served at /media/<name> (the media host)
	mediaType     string            // the Content-Type the media host answers with
	noLength      bool              // the media host streams without Content-Length
	inboxStatuses []string          // the statuses an inbox upload goes through
	chunkFail     map[int]int       // chunk number (1-based) -> HTTP status to answer with
	log           []string          // "METHOD path" of every request, in order
	lastInbox     map[string]any    // the body of the last inbox init
	lastPhoto     map[string]any    // the body of the last photo init

	// For the conformance suite (conformance_test.go).
	nextInit  *injected // the next init (video, inbox or photo) answers this, creating nothing
	loseInit  bool      // the next init creates the post, then its connection breaks
	published []*publish
}

// upload is a FILE_UPLOAD in progress: what init declared and what the chunks brought.
type upload struct {
	size, chunk, count int64
	next               int64     // the first byte the next chunk must start at
	received           int64     // chunks received
	hash               hash.Hash // SHA-256 of the bytes received, in order (never kept: tests send tens of megabytes)
	types              []string  // Content-Type of each chunk
	done               bool
}

// digest returns the hex SHA-256 of the bytes received so far.
func (u *upload) digest() string { return hex.EncodeToString(u.hash.Sum(nil)) }

// hexSHA256 is the hex SHA-256 of b.
func hexSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// testChunkRules are TikTok's chunk rules scaled by 1/1024 (5 KiB to 64 KiB, last chunk up
// to 128 KiB, at most 1000 chunks) so tests upload small files under the same rules.
var testChunkRules = chunkRules{min: 5 << 10, max: 64 << 10, lastMax: 128 << 10, maxCount: 1000}

type grant struct {
	openID  string
	scopes  []string
	expired bool
	// redirectURI is the consent's redirect_uri, which the code exchange must repeat.
	redirectURI string
	// creatorInfoQueried says this token queried creator info since its last init: init
	// must follow it.
	creatorInfoQueried bool
}

type creator struct {
	displayName, username                         string
	privacy                                       []string
	commentDisabled, duetDisabled, stitchDisabled bool
	videos                                        []fakeVideo
}

type fakeVideo struct {
	id, title                     string
	createTime                    int64
	likes, comments, shares, view int64
}

type publish struct {
	openID string
	polls  int
	postID string
	inbox  bool
	upload *upload  // nil for PULL_FROM_URL
	pulled []string // the video_url or photo_images TikTok pulls
	text   string   // the caption: the video's title or the photos' description
	photo  bool
	public bool // posted PUBLIC_TO_EVERYONE
	listed bool // in the creator's public videos
}

type injected struct {
	status int
	code   string
	header http.Header
	raw    string // a raw body instead of the JSON envelope
}

type videoInitSeen struct {
	PostInfo   map[string]any `json:"post_info"`
	SourceInfo map[string]any `json:"source_info"`
}

func newFake(t *testing.T) *fake {
	t.Helper()
	f := &fake{
		t:             t,
		clientKey:     "ck-test",
		clientSecret:  "cs-test",
		redirectURI:   "https://herald.example.com/connect/tiktok/callback",
		rotate:        true,
		grantScope:    "user.info.basic,video.publish,video.upload,video.list",
		codes:         map[string]*grant{},
		access:        map[string]*grant{},
		refresh:       map[string]*grant{},
		users:         map[string]*creator{},
		verified:      []string{"https://media.herald.example.com/"},
		statuses:      []string{"PROCESSING_DOWNLOAD", "PROCESSING_UPLOAD", "PUBLISH_COMPLETE"},
		publishes:     map[string]*publish{},
		rules:         testChunkRules,
		media:         map[string][]byte{},
		mediaType:     "video/mp4",
		inboxStatuses: []string{"PROCESSING_UPLOAD", "SEND_TO_USER_INBOX"},
		chunkFail:     map[int]int{},
		failures:      map[string][]injected{},
		requests:      map[string]int{},
		now:           time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC),
	}
	f.users["open-1"] = &creator{displayName: "Ada Creates", username: "ada.creates", privacy: []string{PrivacyPublic, PrivacyFollowers, PrivacySelfOnly}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// adapter returns an adapter pointed at the fake, polling fast.
func (f *fake) adapter(mod func(*Config)) *Adapter {
	cfg := Config{
		ClientID: f.clientKey, ClientSecret: f.clientSecret,
		AuthURL: f.srv.URL + "/v2/auth/authorize/", TokenURL: f.srv.URL + "/v2/oauth/token/", APIURL: f.srv.URL,
		HTTPClient: f.srv.Client(), Now: func() time.Time { return f.now },
		PollInterval: time.Millisecond, PollTimeout: 2 * time.Second,
	}
	if mod != nil {
		mod(&cfg)
	}
	a := New(cfg)
	a.rules = f.rules
	return a
}

// mediaURL serves b at /media/<name> and returns its URL (on 127.0.0.1: not a verified
// prefix, and reachable only with AllowPrivateMedia).
func (f *fake) mediaURL(name string, b []byte) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.media[name] = b
	return f.srv.URL + "/media/" + name
}

// steps returns the requests made so far, in order.
func (f *fake) steps() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.log)
}

// token issues an access token for openID with the consent's scopes.
func (f *fake) token(openID string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.serial++
	tok := fmt.Sprintf("act.%d", f.serial)
	f.access[tok] = &grant{openID: openID, scopes: strings.Split(f.grantScope, ",")}
	return tok
}

// code registers a consent code for openID.
func (f *fake) code(openID string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.serial++
	c := fmt.Sprintf("code-%d", f.serial)
	f.codes[c] = &grant{openID: openID, scopes: strings.Split(f.grantScope, ","), redirectURI: f.redirectURI}
	return c
}

// failNext makes the next request to path fail.
func (f *fake) failNext(path string, fl injected) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures[path] = append(f.failures[path], fl)
}

func (f *fake) count(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[path]
}

// writeAPI writes the v2 envelope: {"data": ..., "error": {"code", "message", "log_id"}}.
// https://developers.tiktok.com/doc/tiktok-api-v2-error-handling
func writeAPI(w http.ResponseWriter, status int, code, message string, data any) {
	if data == nil {
		data = map[string]any{}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"data":  data,
		"error": map[string]string{"code": code, "message": message, "log_id": "202611261200000000FAKELOG"},
	})
}

// writeOAuth writes an OAuth error: {"error", "error_description", "log_id"}.
// https://developers.tiktok.com/doc/oauth-error-handling
func writeOAuth(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc, "log_id": "202611261200000000FAKELOG"})
}

func (f *fake) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := r.URL.Path
	if strings.HasPrefix(key, "/upload/") {
		key = "/upload/"
	}
	f.requests[key]++
	f.log = append(f.log, r.Method+" "+key)
	if q := f.failures[key]; len(q) > 0 {
		fl := q[0]
		f.failures[key] = q[1:]
		for k, v := range fl.header {
			w.Header()[k] = v
		}
		if fl.raw != "" {
			if strings.HasPrefix(fl.raw, "{") && w.Header().Get("Content-Type") == "" {
				w.Header().Set("Content-Type", "application/json") // as TikTok labels its JSON
			}
			w.WriteHeader(fl.status)
			_, _ = w.Write([]byte(fl.raw))
			return
		}
		if r.URL.Path == "/v2/oauth/token/" {
			writeOAuth(w, fl.status, fl.code, "injected")
			return
		}
		writeAPI(w, fl.status, fl.code, "injected", nil)
		return
	}
	if r.URL.Path == "/v2/oauth/token/" {
		f.serveToken(w, r)
		return
	}
	if name, ok := strings.CutPrefix(r.URL.Path, "/media/"); ok {
		f.serveMedia(w, r, name)
		return
	}
	if id, ok := strings.CutPrefix(r.URL.Path, "/upload/"); ok {
		f.serveChunk(w, r, id)
		return
	}
	type route struct {
		method, scope string
		h             func(http.ResponseWriter, *http.Request, *grant)
	}
	routes := map[string]route{
		// https://developers.tiktok.com/doc/display-api-overview/ (user.info.basic)
		"/v2/user/info/": {http.MethodGet, "user.info.basic", f.serveUserInfo},
		// https://developers.tiktok.com/doc/content-posting-api-reference-query-creator-info/
		"/v2/post/publish/creator_info/query/": {http.MethodPost, "video.publish", f.serveCreatorInfo},
		// https://developers.tiktok.com/doc/content-posting-api-reference-direct-post
		"/v2/post/publish/video/init/": {http.MethodPost, "video.publish", f.serveInit},
		// https://developers.tiktok.com/doc/content-posting-api-reference-upload-video
		"/v2/post/publish/inbox/video/init/": {http.MethodPost, "video.upload", f.serveInboxInit},
		// https://developers.tiktok.com/doc/content-posting-api-reference-photo-post (scope
		// video.publish for DIRECT_POST, video.upload for MEDIA_UPLOAD: checked inside)
		"/v2/post/publish/content/init/": {http.MethodPost, "", f.servePhotoInit},
		// https://developers.tiktok.com/doc/content-posting-api-reference-get-video-status
		// (scope video.upload or video.publish: checked below)
		"/v2/post/publish/status/fetch/": {http.MethodPost, "", f.serveStatus},
		// https://developers.tiktok.com/doc/tiktok-api-v2-video-list/
		"/v2/video/list/": {http.MethodPost, "video.list", f.serveList},
		// https://developers.tiktok.com/doc/display-api-overview/ (video.list)
		"/v2/video/query/": {http.MethodPost, "video.list", f.serveQuery},
	}
	rt, ok := routes[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if r.Method != rt.method {
		writeAPI(w, http.StatusMethodNotAllowed, "invalid_params", "wrong method", nil)
		return
	}
	// Every call carries "Authorization: Bearer <user access token>"; a missing, unknown or
	// expired one is 401 access_token_invalid.
	// https://developers.tiktok.com/doc/tiktok-api-v2-error-handling
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	g := f.access[tok]
	if !ok || g == nil || g.expired {
		writeAPI(w, http.StatusUnauthorized, "access_token_invalid", "The access token is invalid or not found in the request.", nil)
		return
	}
	// A scope the user did not grant is 401 scope_not_authorized.
	if rt.scope != "" && !slices.Contains(g.scopes, rt.scope) ||
		r.URL.Path == "/v2/post/publish/status/fetch/" && !slices.Contains(g.scopes, "video.publish") && !slices.Contains(g.scopes, "video.upload") {
		writeAPI(w, http.StatusUnauthorized, "scope_not_authorized", "The user did not authorize the scope required for completing this request.", nil)
		return
	}
	// POST bodies are JSON ("application/json; charset=UTF-8" for Content Posting).
	if rt.method == http.MethodPost && !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		writeAPI(w, http.StatusBadRequest, "invalid_params", "Content-Type must be application/json", nil)
		return
	}
	rt.h(w, r, g)
}

// serveToken is POST /v2/oauth/token/, form-encoded, client_key (not client_id).
// https://developers.tiktok.com/doc/oauth-user-access-token-management
// https://developers.tiktok.com/docs/en/oauth-refresh-a-user-access-token
func (f *fake) serveToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		writeOAuth(w, http.StatusBadRequest, "invalid_request", "POST a form")
		return
	}
	if err := r.ParseForm(); err != nil {
		writeOAuth(w, http.StatusBadRequest, "invalid_request", "bad form")
		return
	}
	if r.PostForm.Has("client_id") {
		writeOAuth(w, http.StatusBadRequest, "invalid_request", "client_key is required")
		return
	}
	if r.PostForm.Get("client_key") != f.clientKey || r.PostForm.Get("client_secret") != f.clientSecret {
		writeOAuth(w, http.StatusUnauthorized, "invalid_client", "Client key or secret is wrong")
		return
	}
	var g *grant
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		// Login Kit for Web takes no PKCE: a code_verifier is for mobile and desktop apps.
		// https://developers.tiktok.com/doc/oauth-get-a-user-access-token
		c := r.PostForm.Get("code")
		cg, ok := f.codes[c]
		delete(f.codes, c) // single use
		if !ok || r.PostForm.Get("redirect_uri") != cg.redirectURI {
			writeOAuth(w, http.StatusBadRequest, "invalid_grant", "Authorization code is expired or redirect_uri mismatched.")
			return
		}
		g = cg
	case "refresh_token":
		rt := r.PostForm.Get("refresh_token")
		rg, ok := f.refresh[rt]
		if !ok {
			writeOAuth(w, http.StatusBadRequest, "invalid_grant", "Refresh token is invalid or expired.")
			return
		}
		g = rg
		if f.rotate {
			// "The previous refresh token stops working once a new one is issued."
			// https://developers.tiktok.com/docs/en/oauth-refresh-a-user-access-token
			delete(f.refresh, rt)
		}
	default:
		writeOAuth(w, http.StatusBadRequest, "unsupported_grant_type", "grant type not supported")
		return
	}
	f.serial++
	access := fmt.Sprintf("act.%d", f.serial)
	f.access[access] = &grant{openID: g.openID, scopes: slices.Clone(g.scopes)}
	// Access tokens last 2 hours, refresh tokens 180 days (both in seconds).
	// https://developers.tiktok.com/doc/oauth-user-access-token-management
	answer := map[string]any{
		"open_id": g.openID, "scope": strings.Join(g.scopes, ","), "access_token": access, "expires_in": 7200,
		"refresh_expires_in": 15552000, "token_type": "Bearer",
	}
	if r.PostForm.Get("grant_type") == "authorization_code" || f.rotate {
		refresh := fmt.Sprintf("rft.%d", f.serial)
		f.refresh[refresh] = &grant{openID: g.openID, scopes: slices.Clone(g.scopes)}
		answer["refresh_token"] = refresh
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(answer)
}

// serveUserInfo returns only the fields asked for; fields is required.
func (f *fake) serveUserInfo(w http.ResponseWriter, r *http.Request, g *grant) {
	fields := strings.Split(r.URL.Query().Get("fields"), ",")
	if r.URL.Query().Get("fields") == "" {
		writeAPI(w, http.StatusBadRequest, "invalid_params", "fields is required", nil)
		return
	}
	u := f.users[g.openID]
	user := map[string]any{}
	for _, fl := range fields {
		switch fl {
		case "open_id":
			user["open_id"] = g.openID
		case "display_name":
			user["display_name"] = u.displayName
		default:
			writeAPI(w, http.StatusBadRequest, "invalid_params", "unknown field "+fl, nil)
			return
		}
	}
	writeAPI(w, http.StatusOK, "ok", "", map[string]any{"user": user})
}

func (f *fake) serveCreatorInfo(w http.ResponseWriter, r *http.Request, g *grant) {
	u := f.users[g.openID]
	g.creatorInfoQueried = true
	writeAPI(w, http.StatusOK, "ok", "", map[string]any{
		"creator_avatar_url": "https://p16.tiktokcdn.example/avatar.jpeg", "creator_username": u.username,
		"creator_nickname": u.displayName, "privacy_level_options": u.privacy,
		"comment_disabled": u.commentDisabled, "duet_disabled": u.duetDisabled, "stitch_disabled": u.stitchDisabled,
		"max_video_post_duration_sec": 600,
	})
}

// serveInit checks the direct post body: known fields only, a privacy level creator info
// offered (privacy_level_option_mismatch), interaction settings the creator disabled kept
// disabled, a title of at most 2200 runes, and PULL_FROM_URL from a verified prefix
// (403 url_ownership_unverified, https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide).
// Init must follow creator info (the direct post guide's step 1).
func (f *fake) serveInit(w http.ResponseWriter, r *http.Request, g *grant) {
	if !g.creatorInfoQueried {
		writeAPI(w, http.StatusBadRequest, "invalid_params", "query creator info before initializing a post", nil)
		return
	}
	g.creatorInfoQueried = false
	if f.injectedInit(w) {
		return
	}
	var body struct {
		PostInfo struct {
			Title          *string `json:"title"`
			PrivacyLevel   string  `json:"privacy_level"`
			DisableComment bool    `json:"disable_comment"`
			DisableDuet    bool    `json:"disable_duet"`
			DisableStitch  bool    `json:"disable_stitch"`
		} `json:"post_info"`
		SourceInfo videoSourceSeen `json:"source_info"`
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		writeAPI(w, http.StatusBadRequest, "invalid_params", "bad body: "+err.Error(), nil)
		return
	}
	u := f.users[g.openID]
	switch {
	case body.PostInfo.PrivacyLevel == "" || !slices.Contains(u.privacy, body.PostInfo.PrivacyLevel):
		writeAPI(w, http.StatusBadRequest, "privacy_level_option_mismatch", "privacy_level is not among the creator's options", nil)
		return
	case u.commentDisabled && !body.PostInfo.DisableComment, u.duetDisabled && !body.PostInfo.DisableDuet, u.stitchDisabled && !body.PostInfo.DisableStitch:
		writeAPI(w, http.StatusBadRequest, "invalid_params", "an interaction the creator disabled must stay disabled", nil)
		return
	case body.PostInfo.Title != nil && utf8.RuneCountInString(*body.PostInfo.Title) > 2200:
		writeAPI(w, http.StatusBadRequest, "invalid_params", "title too long", nil)
		return
	}
	if !f.checkVideoSource(w, body.SourceInfo) {
		return
	}
	title := ""
	if body.PostInfo.Title != nil {
		title = *body.PostInfo.Title
	}
	p, data := f.newPublish(g, "v_pub", body.SourceInfo, false, title)
	p.public = body.PostInfo.PrivacyLevel == PrivacyPublic
	f.lastInit = videoInitSeen{
		PostInfo:   map[string]any{"title": title, "privacy_level": body.PostInfo.PrivacyLevel, "disable_comment": body.PostInfo.DisableComment, "disable_duet": body.PostInfo.DisableDuet, "disable_stitch": body.PostInfo.DisableStitch},
		SourceInfo: body.SourceInfo.seen(),
	}
	f.answerInit(w, data)
}

// videoSourceSeen is source_info of a video init (direct post or inbox upload).
// https://developers.tiktok.com/doc/content-posting-api-reference-direct-post
type videoSourceSeen struct {
	Source          string `json:"source"`
	VideoURL        string `json:"video_url"`
	VideoSize       *int64 `json:"video_size"`
	ChunkSize       *int64 `json:"chunk_size"`
	TotalChunkCount *int64 `json:"total_chunk_count"`
}

func (s videoSourceSeen) seen() map[string]any {
	m := map[string]any{"source": s.Source}
	if s.VideoURL != "" {
		m["video_url"] = s.VideoURL
	}
	for k, v := range map[string]*int64{"video_size": s.VideoSize, "chunk_size": s.ChunkSize, "total_chunk_count": s.TotalChunkCount} {
		if v != nil {
			m[k] = *v
		}
	}
	return m
}

// verifiedURL reports whether u is under a prefix verified for PULL_FROM_URL.
// https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide (PULL_FROM_URL:
// URL ownership verification)
func (f *fake) verifiedURL(u string) bool {
	for _, p := range f.verified {
		if strings.HasPrefix(u, p) {
			return true
		}
	}
	return false
}

// checkVideoSource enforces source_info: PULL_FROM_URL takes video_url only, from a verified
// prefix (403 url_ownership_unverified); FILE_UPLOAD takes video_size, chunk_size and
// total_chunk_count under the chunk rules of the media transfer guide: a video under the
// minimum is one chunk of its own size; otherwise chunk_size is within [min, max],
// total_chunk_count is video_size / chunk_size rounded down, between 1 and 1000, at least 2
// for a video over max, and the last chunk (with the trailing bytes) at most lastMax.
// https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide
func (f *fake) checkVideoSource(w http.ResponseWriter, src videoSourceSeen) bool {
	bad := func(msg string) bool {
		writeAPI(w, http.StatusBadRequest, "invalid_params", msg, nil)
		return false
	}
	switch src.Source {
	case "PULL_FROM_URL":
		if src.VideoURL == "" || src.VideoSize != nil || src.ChunkSize != nil || src.TotalChunkCount != nil {
			return bad("PULL_FROM_URL takes video_url only")
		}
		if !f.verifiedURL(src.VideoURL) {
			writeAPI(w, http.StatusForbidden, "url_ownership_unverified", "The URL prefix or domain is not verified.", nil)
			return false
		}
		return true
	case "FILE_UPLOAD":
		if src.VideoURL != "" || src.VideoSize == nil || src.ChunkSize == nil || src.TotalChunkCount == nil {
			return bad("FILE_UPLOAD takes video_size, chunk_size and total_chunk_count")
		}
		size, chunk, count, r := *src.VideoSize, *src.ChunkSize, *src.TotalChunkCount, f.rules
		switch {
		case size <= 0 || chunk <= 0:
			return bad("video_size and chunk_size must be positive")
		case size < r.min && (chunk != size || count != 1):
			return bad("a video under the minimum chunk size is uploaded whole: chunk_size = video_size, one chunk")
		case size >= r.min && (chunk < r.min || chunk > r.max):
			return bad("chunk_size out of range")
		case count != size/chunk:
			return bad("total_chunk_count must be video_size / chunk_size rounded down")
		case count < 1 || count > r.maxCount:
			return bad("between 1 and 1000 chunks")
		case size > r.max && count < 2:
			return bad("a video over the maximum chunk size must be uploaded in chunks")
		case size-(count-1)*chunk > r.lastMax:
			return bad("the last chunk is too big")
		}
		return true
	}
	return bad("source must be PULL_FROM_URL or FILE_UPLOAD")
}

// injectedInit answers an init with the failure asked for (FailNextPublish), creating
// nothing.
func (f *fake) injectedInit(w http.ResponseWriter) bool {
	fl := f.nextInit
	if fl == nil {
		return false
	}
	f.nextInit = nil
	for k, v := range fl.header {
		w.Header()[k] = v
	}
	writeAPI(w, fl.status, fl.code, "injected", nil)
	return true
}

// answerInit writes an init's answer, or, when a lost answer was asked for
// (LoseNextPublishAnswer), breaks the connection: the post exists all the same.
func (f *fake) answerInit(w http.ResponseWriter, data any) {
	if f.loseInit {
		f.loseInit = false
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	writeAPI(w, http.StatusOK, "ok", "", data)
}

// newPublish registers a publish with its caption and returns it and the init answer's
// data (with upload_url for FILE_UPLOAD).
func (f *fake) newPublish(g *grant, prefix string, src videoSourceSeen, inbox bool, text string) (*publish, map[string]any) {
	f.serial++
	kind := "url"
	if src.Source == "FILE_UPLOAD" {
		kind = "file"
	}
	id := fmt.Sprintf("%s_%s~v2-1.%d", prefix, kind, f.serial)
	p := &publish{openID: g.openID, postID: fmt.Sprintf("7%018d", f.serial), inbox: inbox, text: text}
	f.publishes[id] = p
	f.published = append(f.published, p)
	data := map[string]any{"publish_id": id}
	if src.VideoURL != "" {
		p.pulled = []string{src.VideoURL}
	}
	if src.Source == "FILE_UPLOAD" {
		p.upload = &upload{size: *src.VideoSize, chunk: *src.ChunkSize, count: *src.TotalChunkCount, hash: sha256.New()}
		data["upload_url"] = f.srv.URL + "/upload/" + id
	}
	return p, data
}

// serveInboxInit is the inbox upload: scope video.upload, a body of source_info only (the
// creator writes the caption in TikTok), no creator info needed.
// https://developers.tiktok.com/doc/content-posting-api-reference-upload-video
func (f *fake) serveInboxInit(w http.ResponseWriter, r *http.Request, g *grant) {
	if f.injectedInit(w) {
		return
	}
	var body struct {
		SourceInfo videoSourceSeen `json:"source_info"`
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		writeAPI(w, http.StatusBadRequest, "invalid_params", "bad body: "+err.Error(), nil)
		return
	}
	if !f.checkVideoSource(w, body.SourceInfo) {
		return
	}
	_, data := f.newPublish(g, "v_inbox", body.SourceInfo, true, "")
	f.lastInbox = map[string]any{"source_info": body.SourceInfo.seen()}
	f.answerInit(w, data)
}

// servePhotoInit is the photo post: media_type PHOTO; post_mode DIRECT_POST (scope
// video.publish, after creator info, a privacy level the creator offers, comments kept
// disabled when the creator disabled them) or MEDIA_UPLOAD (scope video.upload, inbox);
// title up to 90 and description up to 4000 UTF-16 runes; source PULL_FROM_URL only, 1 to 35
// photo_images from verified prefixes, photo_cover_index within them.
// https://developers.tiktok.com/doc/content-posting-api-reference-photo-post
func (f *fake) servePhotoInit(w http.ResponseWriter, r *http.Request, g *grant) {
	if f.injectedInit(w) {
		return
	}
	var body struct {
		MediaType string `json:"media_type"`
		PostMode  string `json:"post_mode"`
		PostInfo  struct {
			Title          *string `json:"title"`
			Description    *string `json:"description"`
			PrivacyLevel   string  `json:"privacy_level"`
			DisableComment bool    `json:"disable_comment"`
			AutoAddMusic   bool    `json:"auto_add_music"`
		} `json:"post_info"`
		SourceInfo struct {
			Source          string   `json:"source"`
			PhotoCoverIndex *int     `json:"photo_cover_index"`
			PhotoImages     []string `json:"photo_images"`
		} `json:"source_info"`
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		writeAPI(w, http.StatusBadRequest, "invalid_params", "bad body: "+err.Error(), nil)
		return
	}
	bad := func(msg string) { writeAPI(w, http.StatusBadRequest, "invalid_params", msg, nil) }
	u16 := func(s *string) int {
		if s == nil {
			return 0
		}
		return len(utf16.Encode([]rune(*s)))
	}
	inbox := false
	switch body.PostMode {
	case "DIRECT_POST":
		if !slices.Contains(g.scopes, "video.publish") {
			writeAPI(w, http.StatusUnauthorized, "scope_not_authorized", "video.publish is needed", nil)
			return
		}
		if !g.creatorInfoQueried {
			bad("query creator info before initializing a post")
			return
		}
		g.creatorInfoQueried = false
		u := f.users[g.openID]
		if !slices.Contains(u.privacy, body.PostInfo.PrivacyLevel) {
			writeAPI(w, http.StatusBadRequest, "privacy_level_option_mismatch", "privacy_level is not among the creator's options", nil)
			return
		}
		if u.commentDisabled && !body.PostInfo.DisableComment {
			bad("comments the creator disabled must stay disabled")
			return
		}
	case "MEDIA_UPLOAD":
		if !slices.Contains(g.scopes, "video.upload") {
			writeAPI(w, http.StatusUnauthorized, "scope_not_authorized", "video.upload is needed", nil)
			return
		}
		inbox = true
	default:
		bad("post_mode must be DIRECT_POST or MEDIA_UPLOAD")
		return
	}
	src := body.SourceInfo
	switch {
	case body.MediaType != "PHOTO":
		bad("media_type must be PHOTO")
		return
	case u16(body.PostInfo.Title) > 90 || u16(body.PostInfo.Description) > 4000:
		bad("title or description too long")
		return
	case src.Source != "PULL_FROM_URL":
		bad("photos are only pulled from URLs")
		return
	case len(src.PhotoImages) == 0 || len(src.PhotoImages) > 35:
		bad("1 to 35 photo_images")
		return
	case src.PhotoCoverIndex == nil || *src.PhotoCoverIndex < 0 || *src.PhotoCoverIndex >= len(src.PhotoImages):
		bad("photo_cover_index must point at a photo")
		return
	}
	for _, img := range src.PhotoImages {
		if !f.verifiedURL(img) {
			writeAPI(w, http.StatusForbidden, "url_ownership_unverified", "The URL prefix or domain is not verified.", nil)
			return
		}
	}
	f.serial++
	id := fmt.Sprintf("p_pub_url~v2.%d", f.serial)
	text := ""
	if body.PostInfo.Description != nil {
		text = *body.PostInfo.Description
	}
	p := &publish{openID: g.openID, postID: fmt.Sprintf("7%018d", f.serial), inbox: inbox, text: text, photo: true, pulled: src.PhotoImages}
	f.publishes[id] = p
	f.published = append(f.published, p)
	raw, _ := json.Marshal(body)
	f.lastPhoto = map[string]any{}
	_ = json.Unmarshal(raw, &f.lastPhoto)
	f.answerInit(w, map[string]any{"publish_id": id})
}

// serveMedia is the media host Herald downloads videos from (not TikTok).
func (f *fake) serveMedia(w http.ResponseWriter, r *http.Request, name string) {
	b, ok := f.media[name]
	if !ok || r.Method != http.MethodGet {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", f.mediaType)
	if f.noLength {
		_, _ = w.Write(b[:1])
		w.(http.Flusher).Flush() // chunked: the size is known only at the end
		_, _ = w.Write(b[1:])
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}

var contentRange = regexp.MustCompile(`^bytes (\d+)-(\d+)/(\d+)$`)

// serveChunk is PUT upload_url: chunks in order, each with a video Content-Type
// (video/mp4, video/quicktime or video/webm), "Content-Range: bytes first-last/total" with
// total the declared video_size and first the byte after the previous chunk, and a body of
// chunk_size bytes (the last chunk: the rest). 206 until the last chunk, 201 for it. No
// Authorization: the upload_url is the credential.
// https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide
func (f *fake) serveChunk(w http.ResponseWriter, r *http.Request, id string) {
	p := f.publishes[id]
	if r.Method != http.MethodPut || p == nil || p.upload == nil || p.upload.done {
		http.Error(w, "no upload here", http.StatusNotFound)
		return
	}
	up := p.upload
	if !slices.Contains([]string{"video/mp4", "video/quicktime", "video/webm"}, r.Header.Get("Content-Type")) {
		http.Error(w, "Content-Type must be a video type", http.StatusBadRequest)
		return
	}
	m := contentRange.FindStringSubmatch(r.Header.Get("Content-Range"))
	if m == nil {
		http.Error(w, "Content-Range: bytes first-last/total", http.StatusBadRequest)
		return
	}
	first, _ := strconv.ParseInt(m[1], 10, 64)
	last, _ := strconv.ParseInt(m[2], 10, 64)
	total, _ := strconv.ParseInt(m[3], 10, 64)
	want := up.chunk
	if up.received == up.count-1 {
		want = up.size - (up.count-1)*up.chunk
	}
	switch {
	case total != up.size:
		http.Error(w, "total is not video_size", http.StatusBadRequest)
		return
	case first != up.next:
		http.Error(w, "chunks must be uploaded in order", http.StatusRequestedRangeNotSatisfiable)
		return
	case last-first+1 != want || r.ContentLength != want:
		http.Error(w, fmt.Sprintf("chunk %d must be %d bytes", up.received+1, want), http.StatusBadRequest)
		return
	}
	// The chunk is digested as it is read; a body shorter or longer than it said spoils the
	// upload, as the file TikTok assembles would be wrong.
	if n, err := io.Copy(up.hash, io.LimitReader(r.Body, want+1)); err != nil || n != want {
		up.done = true
		http.Error(w, fmt.Sprintf("chunk %d must be %d bytes", up.received+1, want), http.StatusBadRequest)
		return
	}
	up.types = append(up.types, r.Header.Get("Content-Type"))
	up.next = last + 1
	up.received++
	up.done = up.received == up.count
	if st := f.chunkFail[int(up.received)]; st != 0 {
		// The chunk arrived, but the answer is an error (lost or refused).
		w.WriteHeader(st)
		return
	}
	if up.done {
		w.WriteHeader(http.StatusCreated)
		return
	}
	w.WriteHeader(http.StatusPartialContent)
}

// serveStatus walks a publish through f.statuses, one per poll; the post id is a list
// (publicaly_available_post_id) given at PUBLISH_COMPLETE.
func (f *fake) serveStatus(w http.ResponseWriter, r *http.Request, g *grant) {
	var body struct {
		PublishID string `json:"publish_id"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeAPI(w, http.StatusBadRequest, "invalid_params", "bad body", nil)
		return
	}
	p := f.publishes[body.PublishID]
	if p == nil || p.openID != g.openID {
		writeAPI(w, http.StatusBadRequest, "invalid_params", "publish_id not found", nil)
		return
	}
	statuses := f.statuses
	if p.inbox {
		statuses = f.inboxStatuses
	}
	if p.upload != nil && !p.upload.done {
		// Nothing to process before the file is complete.
		writeAPI(w, http.StatusOK, "ok", "", map[string]any{"status": "PROCESSING_UPLOAD"})
		return
	}
	st := statuses[min(p.polls, len(statuses)-1)]
	p.polls++
	if f.polling != nil {
		f.polling(p.polls)
	}
	data := map[string]any{"status": st}
	switch st {
	case "PUBLISH_COMPLETE":
		n, _ := strconv.ParseInt(p.postID, 10, 64)
		data["publicaly_available_post_id"] = []int64{n}
		if p.public && !p.photo && !p.listed {
			// A public video, moderated, is among the creator's public videos from now on.
			// https://developers.tiktok.com/doc/tiktok-api-v2-video-list/
			p.listed = true
			u := f.users[p.openID]
			u.videos = append(u.videos, fakeVideo{id: p.postID, title: p.text, createTime: f.now.Unix()})
		}
	case "FAILED":
		data["fail_reason"] = f.failReason
	}
	writeAPI(w, http.StatusOK, "ok", "", data)
}

// serveList pages the creator's videos newest first: max_count at most 20, cursor a UTC
// Unix time in milliseconds before which videos are listed.
func (f *fake) serveList(w http.ResponseWriter, r *http.Request, g *grant) {
	if r.URL.Query().Get("fields") == "" {
		writeAPI(w, http.StatusBadRequest, "invalid_params", "fields is required", nil)
		return
	}
	var body struct {
		Cursor   int64 `json:"cursor"`
		MaxCount int   `json:"max_count"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.MaxCount > 20 || body.MaxCount < 0 {
		writeAPI(w, http.StatusBadRequest, "invalid_params", "max_count is at most 20", nil)
		return
	}
	if body.MaxCount == 0 {
		body.MaxCount = 10
	}
	vs := slices.Clone(f.users[g.openID].videos)
	sort.Slice(vs, func(i, j int) bool { return vs[i].createTime > vs[j].createTime })
	var page []map[string]any
	var cursor int64
	more := false
	for _, v := range vs {
		if body.Cursor != 0 && v.createTime*1000 >= body.Cursor {
			continue
		}
		if len(page) == body.MaxCount {
			more = true
			break
		}
		page = append(page, map[string]any{"id": v.id, "title": v.title, "video_description": v.title, "create_time": v.createTime, "share_url": "https://www.tiktok.com/@" + f.users[g.openID].username + "/video/" + v.id})
		cursor = v.createTime * 1000
	}
	writeAPI(w, http.StatusOK, "ok", "", map[string]any{"videos": page, "cursor": cursor, "has_more": more})
}

// serveQuery returns the creator's own videos among filters.video_ids (at most 20) with
// the fields asked for.
func (f *fake) serveQuery(w http.ResponseWriter, r *http.Request, g *grant) {
	fields := strings.Split(r.URL.Query().Get("fields"), ",")
	var body struct {
		Filters struct {
			VideoIDs []string `json:"video_ids"`
		} `json:"filters"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || len(body.Filters.VideoIDs) == 0 || len(body.Filters.VideoIDs) > 20 || r.URL.Query().Get("fields") == "" {
		writeAPI(w, http.StatusBadRequest, "invalid_params", "filters.video_ids (1 to 20) and fields are required", nil)
		return
	}
	videos := []map[string]any{}
	for _, v := range f.users[g.openID].videos {
		if !slices.Contains(body.Filters.VideoIDs, v.id) {
			continue
		}
		all := map[string]any{"id": v.id, "like_count": v.likes, "comment_count": v.comments, "share_count": v.shares, "view_count": v.view}
		out := map[string]any{}
		for _, fl := range fields {
			if val, ok := all[fl]; ok {
				out[fl] = val
			}
		}
		videos = append(videos, out)
	}
	writeAPI(w, http.StatusOK, "ok", "", map[string]any{"videos": videos, "cursor": 0, "has_more": false})
}
