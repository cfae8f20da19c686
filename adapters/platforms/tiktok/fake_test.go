package tiktok

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
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
	rotate       bool                // refresh answers with a new refresh token
	grantScope   string              // the scopes a consent grants
	codes        map[string]string   // code -> open_id, single use
	access       map[string]*grant   // access token -> grant
	refresh      map[string]string   // refresh token -> open_id
	users        map[string]*creator // open_id -> creator
	verified     []string            // URL prefixes verified for PULL_FROM_URL
	statuses     []string            // the statuses a publish goes through, last one sticks
	failReason   string              // fail_reason when the last status is FAILED
	publishes    map[string]*publish // publish_id -> publish
	failures     map[string][]injected
	requests     map[string]int // path -> count
	lastInit     videoInitSeen
	serial       int
	now          time.Time
}

type grant struct {
	openID  string
	scopes  []string
	expired bool
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
		t:            t,
		clientKey:    "ck-test",
		clientSecret: "cs-test",
		redirectURI:  "https://herald.example.com/connect/tiktok/callback",
		grantScope:   "user.info.basic,video.publish,video.upload,video.list",
		codes:        map[string]string{},
		access:       map[string]*grant{},
		refresh:      map[string]string{},
		users:        map[string]*creator{},
		verified:     []string{"https://media.herald.example.com/"},
		statuses:     []string{"PROCESSING_DOWNLOAD", "PROCESSING_UPLOAD", "PUBLISH_COMPLETE"},
		publishes:    map[string]*publish{},
		failures:     map[string][]injected{},
		requests:     map[string]int{},
		now:          time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC),
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
	return New(cfg)
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
	f.codes[c] = openID
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
	f.requests[r.URL.Path]++
	if q := f.failures[r.URL.Path]; len(q) > 0 {
		fl := q[0]
		f.failures[r.URL.Path] = q[1:]
		for k, v := range fl.header {
			w.Header()[k] = v
		}
		if fl.raw != "" {
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
		// https://developers.tiktok.com/doc/content-posting-api-reference-get-video-status
		"/v2/post/publish/status/fetch/": {http.MethodPost, "video.publish", f.serveStatus},
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
	if !slices.Contains(g.scopes, rt.scope) {
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
	var openID string
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		c := r.PostForm.Get("code")
		id, ok := f.codes[c]
		delete(f.codes, c) // single use
		if !ok || r.PostForm.Get("redirect_uri") != f.redirectURI {
			writeOAuth(w, http.StatusBadRequest, "invalid_grant", "Authorization code is expired or redirect_uri mismatched.")
			return
		}
		openID = id
	case "refresh_token":
		rt := r.PostForm.Get("refresh_token")
		id, ok := f.refresh[rt]
		if !ok {
			writeOAuth(w, http.StatusBadRequest, "invalid_grant", "Refresh token is invalid or expired.")
			return
		}
		openID = id
		if f.rotate {
			// The previous refresh token stops working once a new one is issued.
			delete(f.refresh, rt)
		}
	default:
		writeOAuth(w, http.StatusBadRequest, "unsupported_grant_type", "grant type not supported")
		return
	}
	f.serial++
	access := fmt.Sprintf("act.%d", f.serial)
	f.access[access] = &grant{openID: openID, scopes: strings.Split(f.grantScope, ",")}
	answer := map[string]any{
		"open_id": openID, "scope": f.grantScope, "access_token": access, "expires_in": 86400,
		"refresh_expires_in": 31536000, "token_type": "Bearer",
	}
	if r.PostForm.Get("grant_type") == "authorization_code" || f.rotate {
		refresh := fmt.Sprintf("rft.%d", f.serial)
		f.refresh[refresh] = openID
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
	var body struct {
		PostInfo struct {
			Title          *string `json:"title"`
			PrivacyLevel   string  `json:"privacy_level"`
			DisableComment bool    `json:"disable_comment"`
			DisableDuet    bool    `json:"disable_duet"`
			DisableStitch  bool    `json:"disable_stitch"`
		} `json:"post_info"`
		SourceInfo struct {
			Source   string `json:"source"`
			VideoURL string `json:"video_url"`
		} `json:"source_info"`
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
	case body.SourceInfo.Source != "PULL_FROM_URL" || body.SourceInfo.VideoURL == "":
		writeAPI(w, http.StatusBadRequest, "invalid_params", "source_info", nil)
		return
	}
	ok := false
	for _, p := range f.verified {
		ok = ok || strings.HasPrefix(body.SourceInfo.VideoURL, p)
	}
	if !ok {
		writeAPI(w, http.StatusForbidden, "url_ownership_unverified", "The URL prefix or domain is not verified.", nil)
		return
	}
	f.serial++
	id := fmt.Sprintf("v_pub_url~v2-1.%d", f.serial)
	f.publishes[id] = &publish{openID: g.openID, postID: fmt.Sprintf("7%018d", f.serial)}
	title := ""
	if body.PostInfo.Title != nil {
		title = *body.PostInfo.Title
	}
	f.lastInit = videoInitSeen{
		PostInfo:   map[string]any{"title": title, "privacy_level": body.PostInfo.PrivacyLevel, "disable_comment": body.PostInfo.DisableComment, "disable_duet": body.PostInfo.DisableDuet, "disable_stitch": body.PostInfo.DisableStitch},
		SourceInfo: map[string]any{"source": body.SourceInfo.Source, "video_url": body.SourceInfo.VideoURL},
	}
	writeAPI(w, http.StatusOK, "ok", "", map[string]any{"publish_id": id})
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
	st := f.statuses[min(p.polls, len(f.statuses)-1)]
	p.polls++
	data := map[string]any{"status": st}
	switch st {
	case "PUBLISH_COMPLETE":
		n, _ := strconv.ParseInt(p.postID, 10, 64)
		data["publicaly_available_post_id"] = []int64{n}
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
