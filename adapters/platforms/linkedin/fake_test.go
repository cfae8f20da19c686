package linkedin

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// fakeLinkedIn is an in-process LinkedIn that enforces the documented contract of every
// endpoint the adapter uses. Each handler cites the page its behaviour comes from.
type fakeLinkedIn struct {
	t   *testing.T
	srv *httptest.Server

	mu            sync.Mutex
	clientID      string
	clientSecret  string
	redirectURL   string
	approved      map[string]bool      // the scopes LinkedIn granted the app (its products)
	codes         map[string]fakeGrant // authorization code -> member and scopes
	grantRefresh  bool                 // the app has programmatic refresh tokens
	tokens        map[string]*fakeToken
	refreshTokens map[string]fakeGrant // refresh token -> member and scopes; kept on use
	failRefresh   bool                 // the next refresh answers a server error
	members       map[string]string    // sub -> name
	acls          map[string][]fakeACL
	aclForbidden  bool              // the app lacks the Community Management scopes
	orgs          map[string]string // organization id -> localizedName
	images        map[string]*fakeImage
	posts         []*fakePost
	social        map[string][2]int64 // post URN -> likes, comments
	stats         map[string][3]int64 // post URN -> impressions, unique impressions, shares
	statsDenied   bool
	failNext      map[string]fakeFailure // route -> the next answer
	loseAnswer    bool                   // the next created post's answer is lost: the connection closes instead
	loseComment   bool                   // the next created comment's answer is lost
	videos        map[string]*fakeVideo
	videoPartSize int // bytes per upload instruction
	videoPolls    int // status checks a finalized video stays PROCESSING
	videoFails    bool
	log           []string // "METHOD route", in order
	seq           int
}

type fakeToken struct {
	sub     string
	scopes  []string
	expired bool
	revoked bool
}

// has reports whether the token was granted scope.
func (t *fakeToken) has(scope string) bool { return slices.Contains(t.scopes, scope) }

type fakeGrant struct {
	sub    string
	scopes []string
}

type fakeACL struct{ org, role, state string }

type fakeImage struct {
	owner    string
	status   string // WAITING_UPLOAD, AVAILABLE
	uploaded []byte
	ctype    string // the upload's Content-Type
}

// fakeVideo is a video being uploaded. Its parts are written at their offsets in a file
// (never all held in memory: tests upload videos of tens of megabytes) and digested when
// the upload is finalized.
type fakeVideo struct {
	owner  string
	size   int
	token  string
	file   *os.File
	parts  map[int]bool // part indexes received
	etags  []string     // per part, in order
	status string       // WAITING_UPLOAD, PROCESSING, AVAILABLE, PROCESSING_FAILED
	polls  int
	sha256 string // hex digest of the whole file, once finalized
}

type fakePost struct {
	id, author, commentary, rendered string
	content                          map[string]any
	media                            []string // image or video URNs, in order
	alts                             []string // each media item's altText
	createdAt                        int64
	comments                         []fakeComment // oldest first
}

// fakeComment is a comment of the Comments API.
// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/comments-api
type fakeComment struct {
	id, urn, actor, text string
	at                   int64
}

type fakeFailure struct {
	status     int
	body       string
	retryAfter string
}

// Versions the fake treats as active (LinkedIn-Version: YYYYMM).
// https://learn.microsoft.com/en-us/linkedin/marketing/versioning
var fakeActiveVersions = map[string]bool{"202605": true, "202610": true}

func newFake(t *testing.T) *fakeLinkedIn {
	f := &fakeLinkedIn{
		t: t, clientID: "herald-client", clientSecret: "herald-secret", redirectURL: "https://herald.test/connect/linkedin/callback",
		approved: map[string]bool{}, codes: map[string]fakeGrant{}, tokens: map[string]*fakeToken{}, refreshTokens: map[string]fakeGrant{},
		members: map[string]string{}, acls: map[string][]fakeACL{}, orgs: map[string]string{},
		images: map[string]*fakeImage{}, social: map[string][2]int64{}, stats: map[string][3]int64{},
		failNext: map[string]fakeFailure{}, videos: map[string]*fakeVideo{}, videoPartSize: 4 << 20,
	}
	// The app has the self-serve member products and the Community Management API.
	for _, s := range append(slices.Clone(MemberScopes), OrganizationScopes...) {
		f.approved[s] = true
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/v2/accessToken", f.token)
	mux.HandleFunc("GET /v2/userinfo", f.userinfo)
	mux.HandleFunc("GET /rest/organizationAcls", f.rest("organizationAcls", f.organizationAcls))
	mux.HandleFunc("GET /rest/organizations/{id}", f.rest("organizations", f.organization))
	mux.HandleFunc("POST /rest/images", f.rest("images", f.initializeUpload))
	mux.HandleFunc("PUT /upload/{image}", f.upload)
	mux.HandleFunc("POST /rest/videos", f.rest("videos", f.videoAction))
	mux.HandleFunc("PUT /videoupload/{video}/{part}", f.uploadPart)
	mux.HandleFunc("GET /rest/videos/{urn}", f.rest("videoStatus", f.videoStatus))
	mux.HandleFunc("POST /rest/posts", f.rest("posts", f.createPost))
	mux.HandleFunc("GET /rest/posts", f.rest("findPosts", f.findPosts))
	mux.HandleFunc("GET /rest/socialActions/{urn}", f.rest("socialActions", f.socialActions))
	mux.HandleFunc("POST /rest/socialActions/{urn}/comments", f.rest("comments", f.createComment))
	mux.HandleFunc("GET /rest/socialActions/{urn}/comments", f.rest("listComments", f.listComments))
	mux.HandleFunc("GET /rest/organizationalEntityShareStatistics", f.rest("shareStatistics", f.shareStatistics))
	mux.HandleFunc("GET /media/{name}", f.media)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// config points an adapter at the fake.
func (f *fakeLinkedIn) config() Config {
	return Config{
		ClientID: f.clientID, ClientSecret: f.clientSecret,
		AuthURL: f.srv.URL + "/oauth/v2/authorization", TokenURL: f.srv.URL + "/oauth/v2/accessToken", APIURL: f.srv.URL,
		Version: "202605", Organizations: true, HTTPClient: f.srv.Client(), MediaAllowPrivate: true,
	}
}

// code registers an authorization code for the member sub with the app's approved scopes.
func (f *fakeLinkedIn) code(code, sub string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.codes[code] = fakeGrant{sub: sub, scopes: f.approvedScopes()}
}

func (f *fakeLinkedIn) approvedScopes() []string {
	var out []string
	for s := range f.approved {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// member registers a member and returns a valid access token for it.
func (f *fakeLinkedIn) member(sub, name string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.members[sub] = name
	tok := "tok-" + sub
	f.tokens[tok] = &fakeToken{sub: sub, scopes: f.approvedScopes()}
	return tok
}

func (f *fakeLinkedIn) fail(route string, ff fakeFailure) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failNext[route] = ff
}

func (f *fakeLinkedIn) calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.log...)
}

func (f *fakeLinkedIn) postsOf(author string) []*fakePost {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*fakePost
	for _, p := range f.posts {
		if p.author == author {
			out = append(out, p)
		}
	}
	return out
}

// apiErr writes LinkedIn's error body: status, serviceErrorCode, code, message.
// https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/error-handling
func apiErr(w http.ResponseWriter, status, serviceCode int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"status": status, "serviceErrorCode": serviceCode, "code": code, "message": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// authorize checks the bearer token: missing, unknown, expired and revoked tokens are 401.
// https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/error-handling
func (f *fakeLinkedIn) authorize(w http.ResponseWriter, r *http.Request) (*fakeToken, bool) {
	h := r.Header.Get("Authorization")
	if !strings.HasPrefix(h, "Bearer ") {
		apiErr(w, 401, 65600, "EMPTY_ACCESS_TOKEN", "Empty oauth2_access_token")
		return nil, false
	}
	tok, ok := f.tokens[strings.TrimPrefix(h, "Bearer ")]
	switch {
	case !ok:
		apiErr(w, 401, 65600, "INVALID_ACCESS_TOKEN", "Invalid access token")
		return nil, false
	case tok.expired:
		apiErr(w, 401, 65601, "EXPIRED_ACCESS_TOKEN", "The token used in the request has expired")
		return nil, false
	case tok.revoked:
		apiErr(w, 401, 65602, "REVOKED_ACCESS_TOKEN", "The token used in the request has been revoked by the user")
		return nil, false
	}
	return tok, true
}

// denied answers LinkedIn's refusal of a call the token's scopes or the member's role do
// not allow.
// https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/error-handling
func denied(w http.ResponseWriter, what string) {
	apiErr(w, 403, 100, "ACCESS_DENIED", "Not enough permissions to access: "+what)
}

// rest wraps a versioned /rest handler: it logs the call, plays an injected failure,
// requires a valid token, LinkedIn-Version (missing: 400 VERSION_MISSING; inactive: 426
// NONEXISTENT_VERSION) and X-Restli-Protocol-Version: 2.0.0.
// https://learn.microsoft.com/en-us/linkedin/marketing/versioning
// https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/protocol-version
func (f *fakeLinkedIn) rest(route string, h func(w http.ResponseWriter, r *http.Request, tok *fakeToken)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.log = append(f.log, r.Method+" "+route)
		ff, failing := f.failNext[route]
		delete(f.failNext, route)
		f.mu.Unlock()
		if failing {
			if ff.retryAfter != "" {
				w.Header().Set("Retry-After", ff.retryAfter)
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(ff.status)
			_, _ = io.WriteString(w, ff.body)
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		tok, ok := f.authorize(w, r)
		if !ok {
			return
		}
		v := r.Header.Get("LinkedIn-Version")
		switch {
		case v == "":
			apiErr(w, 400, 0, "VERSION_MISSING", "A version must be present. Please specify a version by adding the LinkedIn-Version header.")
			return
		case !fakeActiveVersions[v]:
			apiErr(w, 426, 0, "NONEXISTENT_VERSION", "Requested version "+v+" is not active")
			return
		case r.Header.Get("X-Restli-Protocol-Version") != "2.0.0":
			apiErr(w, 400, 0, "ILLEGAL_ARGUMENT", "Rest.li protocol version 2.0.0 is required")
			return
		}
		h(w, r, tok)
	}
}

// token is the token endpoint: authorization_code and refresh_token grants, client
// credentials in the form. A used, unknown or mismatched code is 400 invalid_request (the
// answer members report); refresh tokens are issued only when grantRefresh is set, and a
// refresh answers a new access token and the same refresh token, whose lifetime keeps
// running from the first consent; a revoked one is 400 invalid_grant.
// https://learn.microsoft.com/en-us/linkedin/shared/authentication/authorization-code-flow
// https://learn.microsoft.com/en-us/linkedin/shared/authentication/programmatic-refresh-tokens
// https://nango.dev/blog/linkedin-oauth-refresh-token-invalid-grant (the refresh refusal's body)
func (f *fakeLinkedIn) token(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = append(f.log, "POST accessToken")
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		writeJSON(w, 400, map[string]string{"error": "invalid_request", "error_description": "Content-Type must be application/x-www-form-urlencoded"})
		return
	}
	if err := r.ParseForm(); err != nil {
		writeJSON(w, 400, map[string]string{"error": "invalid_request", "error_description": "malformed form"})
		return
	}
	if r.PostForm.Get("client_id") != f.clientID || r.PostForm.Get("client_secret") != f.clientSecret {
		writeJSON(w, 401, map[string]string{"error": "invalid_client", "error_description": "Client authentication failed"})
		return
	}
	if r.PostForm.Has("code_verifier") {
		writeJSON(w, 400, map[string]string{"error": "invalid_request", "error_description": "PKCE is not enabled for this application"})
		return
	}
	var g fakeGrant
	refresh := ""
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		c, ok := f.codes[r.PostForm.Get("code")]
		if !ok || r.PostForm.Get("redirect_uri") != f.redirectURL {
			writeJSON(w, 400, map[string]string{"error": "invalid_request", "error_description": "Unable to retrieve access token: appid/redirect uri/code verifier does not match authorization code. Or authorization code expired."})
			return
		}
		delete(f.codes, r.PostForm.Get("code")) // a code is used once
		g = c
	case "refresh_token":
		if f.failRefresh {
			f.failRefresh = false
			writeJSON(w, 500, map[string]string{"error": "server_error", "error_description": "Internal Server Error"})
			return
		}
		refresh = r.PostForm.Get("refresh_token")
		c, ok := f.refreshTokens[refresh]
		if !ok {
			writeJSON(w, 400, map[string]string{"error": "invalid_grant", "error_description": "The provided authorization grant or refresh token is invalid, expired or revoked"})
			return
		}
		g = c
	default:
		writeJSON(w, 400, map[string]string{"error": "unsupported_grant_type", "error_description": "grant_type"})
		return
	}
	f.seq++
	access := fmt.Sprintf("tok-%s-%d", g.sub, f.seq)
	f.tokens[access] = &fakeToken{sub: g.sub, scopes: g.scopes}
	out := map[string]any{"access_token": access, "expires_in": 5184000, "scope": strings.Join(g.scopes, ",")}
	if f.grantRefresh {
		if refresh == "" {
			refresh = fmt.Sprintf("refresh-%s-%d", g.sub, f.seq)
			f.refreshTokens[refresh] = g
		}
		out["refresh_token"], out["refresh_token_expires_in"] = refresh, 31536000
	}
	writeJSON(w, 200, out)
}

// userinfo is OpenID Connect userinfo (unversioned /v2 resource).
// https://learn.microsoft.com/en-us/linkedin/consumer/integrations/self-serve/sign-in-with-linkedin-v2
func (f *fakeLinkedIn) userinfo(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = append(f.log, "GET userinfo")
	tok, ok := f.authorize(w, r)
	if !ok {
		return
	}
	if !tok.has("openid") || !tok.has("profile") {
		denied(w, "userinfo")
		return
	}
	writeJSON(w, 200, map[string]any{"sub": tok.sub, "name": f.members[tok.sub], "email_verified": true, "locale": map[string]string{"country": "US", "language": "en"}})
}

// organizationAcls is the roleAssignee finder, paged with start/count.
// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/organization-access-control-by-role
func (f *fakeLinkedIn) organizationAcls(w http.ResponseWriter, r *http.Request, tok *fakeToken) {
	sub := tok.sub
	q := r.URL.Query()
	if q.Get("q") != "roleAssignee" {
		apiErr(w, 400, 0, "ILLEGAL_ARGUMENT", "unknown finder")
		return
	}
	if f.aclForbidden || !tok.has("rw_organization_admin") {
		denied(w, "organizationAcls.FINDER-roleAssignee")
		return
	}
	var rows []map[string]string
	for _, a := range f.acls[sub] {
		if (q.Get("role") != "" && a.role != q.Get("role")) || (q.Get("state") != "" && a.state != q.Get("state")) {
			continue
		}
		rows = append(rows, map[string]string{"roleAssignee": "urn:li:person:" + sub, "role": a.role, "state": a.state, "organization": a.org})
	}
	start, _ := strconv.Atoi(q.Get("start"))
	count, err := strconv.Atoi(q.Get("count"))
	if err != nil || count <= 0 {
		count = 10
	}
	end := min(start+count, len(rows))
	page := []map[string]string{}
	if start < len(rows) {
		page = rows[start:end]
	}
	writeJSON(w, 200, map[string]any{"elements": page, "paging": map[string]int{"start": start, "count": count, "total": len(rows)}})
}

// organization is the organization lookup by id.
// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/organization-lookup-api
func (f *fakeLinkedIn) organization(w http.ResponseWriter, r *http.Request, _ *fakeToken) {
	id := r.PathValue("id")
	name, ok := f.orgs[id]
	if !ok {
		apiErr(w, 404, 0, "NOT_FOUND", "Organization "+id+" not found")
		return
	}
	n, _ := strconv.ParseInt(id, 10, 64)
	writeJSON(w, 200, map[string]any{"id": n, "localizedName": name, "vanityName": strings.ToLower(strings.ReplaceAll(name, " ", "-"))})
}

// administers reports whether sub may act for the organization URN.
func (f *fakeLinkedIn) administers(sub, org string) bool {
	for _, a := range f.acls[sub] {
		if a.org == org && a.role == "ADMINISTRATOR" && a.state == "APPROVED" {
			return true
		}
	}
	return false
}

// mayPost reports whether the token may post (and upload media) as author: the member
// itself with w_member_social, or an organization it administers with
// w_organization_social.
// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/posts-api
func (f *fakeLinkedIn) mayPost(tok *fakeToken, author string) bool {
	if author == "urn:li:person:"+tok.sub {
		return tok.has("w_member_social")
	}
	return tok.has("w_organization_social") && f.administers(tok.sub, author)
}

// mayRead reports whether the token may read author's posts, likes and comments: a
// member's own with r_member_social (select partners only), an administered
// organization's with r_organization_social.
// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/network-update-social-actions
func (f *fakeLinkedIn) mayRead(tok *fakeToken, author string) bool {
	if author == "urn:li:person:"+tok.sub {
		return tok.has("r_member_social")
	}
	return tok.has("r_organization_social") && f.administers(tok.sub, author)
}

// initializeUpload is the Images API's action=initializeUpload: an owner the token may
// act for; answers value.uploadUrl and value.image (WAITING_UPLOAD until the PUT).
// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/images-api
func (f *fakeLinkedIn) initializeUpload(w http.ResponseWriter, r *http.Request, tok *fakeToken) {
	if r.URL.Query().Get("action") != "initializeUpload" {
		apiErr(w, 400, 0, "ILLEGAL_ARGUMENT", "unknown action")
		return
	}
	var body struct {
		InitializeUploadRequest *struct {
			Owner string `json:"owner"`
		} `json:"initializeUploadRequest"`
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil || body.InitializeUploadRequest == nil || body.InitializeUploadRequest.Owner == "" {
		apiErr(w, 400, 0, "ILLEGAL_ARGUMENT", "initializeUploadRequest.owner is required")
		return
	}
	owner := body.InitializeUploadRequest.Owner
	if !f.mayPost(tok, owner) {
		apiErr(w, 403, 100, "ACCESS_DENIED", "Not enough permissions to upload images for "+owner)
		return
	}
	f.seq++
	id := fmt.Sprintf("C4D10AQ%d", f.seq)
	f.images["urn:li:image:"+id] = &fakeImage{owner: owner, status: "WAITING_UPLOAD"}
	writeJSON(w, 200, map[string]any{"value": map[string]any{
		"uploadUrlExpiresAt": time.Now().Add(time.Hour).UnixMilli(),
		"uploadUrl":          f.srv.URL + "/upload/" + id,
		"image":              "urn:li:image:" + id,
	}})
}

// upload receives the image bytes (PUT with the member's bearer token, as the Images API
// example does) and makes the image AVAILABLE.
// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/images-api
func (f *fakeLinkedIn) upload(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = append(f.log, "PUT upload")
	if _, ok := f.authorize(w, r); !ok {
		return
	}
	img, ok := f.images["urn:li:image:"+r.PathValue("image")]
	if !ok || img.status != "WAITING_UPLOAD" {
		apiErr(w, 400, 0, "ILLEGAL_ARGUMENT", "unknown or already used upload URL")
		return
	}
	data, _ := io.ReadAll(r.Body)
	if len(data) == 0 {
		apiErr(w, 400, 0, "ILLEGAL_ARGUMENT", "empty upload")
		return
	}
	img.uploaded, img.status, img.ctype = data, "AVAILABLE", r.Header.Get("Content-Type")
	w.WriteHeader(http.StatusCreated)
}

// reservedLittle finds little-format reserved characters that are not escaped.
var reservedLittle = `\|{}@[]()<>#*_~`

// renderLittle reads commentary the way LinkedIn shows it: escapes are removed, and an
// unescaped reserved character ends the visible text (LinkedIn's silent truncation).
// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/little-text-format
func renderLittle(s string) string {
	var b strings.Builder
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		switch {
		case rs[i] == '\\' && i+1 < len(rs) && strings.ContainsRune(reservedLittle, rs[i+1]):
			b.WriteRune(rs[i+1])
			i++
		case strings.ContainsRune(reservedLittle, rs[i]):
			return b.String()
		default:
			b.WriteRune(rs[i])
		}
	}
	return b.String()
}

// createPost is POST /rest/posts: strict body (unknown fields refused), author the token
// may act for, AVAILABLE images owned by the author, single media or multiImage (2 to 20),
// 422 "Content is a duplicate of ..." for the same author and text, 201 with x-restli-id.
// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/posts-api
// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/multiimage-post-api
func (f *fakeLinkedIn) createPost(w http.ResponseWriter, r *http.Request, tok *fakeToken) {
	var body struct {
		Author       string  `json:"author"`
		Commentary   *string `json:"commentary"`
		Visibility   string  `json:"visibility"`
		Distribution *struct {
			FeedDistribution               string `json:"feedDistribution"`
			TargetEntities                 []any  `json:"targetEntities"`
			ThirdPartyDistributionChannels []any  `json:"thirdPartyDistributionChannels"`
		} `json:"distribution"`
		Content *struct {
			Media *struct {
				ID      string `json:"id"`
				Title   string `json:"title"`
				AltText string `json:"altText"`
			} `json:"media"`
			MultiImage *struct {
				Images []struct {
					ID      string `json:"id"`
					AltText string `json:"altText"`
				} `json:"images"`
			} `json:"multiImage"`
		} `json:"content"`
		LifecycleState            string `json:"lifecycleState"`
		IsReshareDisabledByAuthor bool   `json:"isReshareDisabledByAuthor"`
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		apiErr(w, 422, 0, "UNPROCESSABLE_ENTITY", "Unrecognized field or malformed body: "+err.Error())
		return
	}
	switch {
	case body.Author == "" || body.Commentary == nil || body.Distribution == nil || body.LifecycleState == "" || body.Visibility == "":
		apiErr(w, 422, 0, "UNPROCESSABLE_ENTITY", "author, commentary, visibility, distribution and lifecycleState are required")
		return
	case body.Visibility != "PUBLIC" && body.Visibility != "CONNECTIONS" && body.Visibility != "LOGGED_IN":
		apiErr(w, 422, 0, "UNPROCESSABLE_ENTITY", "invalid visibility")
		return
	case body.Distribution.FeedDistribution != "MAIN_FEED" && body.Distribution.FeedDistribution != "NONE":
		apiErr(w, 422, 0, "UNPROCESSABLE_ENTITY", "invalid feedDistribution")
		return
	case body.LifecycleState != "PUBLISHED" && body.LifecycleState != "DRAFT":
		apiErr(w, 422, 0, "UNPROCESSABLE_ENTITY", "invalid lifecycleState")
		return
	case !f.mayPost(tok, body.Author):
		apiErr(w, 403, 100, "ACCESS_DENIED", "Not enough permissions to create a post as "+body.Author)
		return
	case utf8.RuneCountInString(*body.Commentary) > 3000:
		apiErr(w, 422, 0, "UNPROCESSABLE_ENTITY", "commentary is longer than 3000 characters")
		return
	}
	content := map[string]any{}
	var media, alts []string
	if c := body.Content; c != nil {
		var ids []string
		switch {
		case c.Media != nil && c.MultiImage != nil:
			apiErr(w, 422, 0, "UNPROCESSABLE_ENTITY", "content takes one of media or multiImage")
			return
		case c.Media != nil:
			ids, alts = []string{c.Media.ID}, []string{c.Media.AltText}
			content["media"] = c.Media.ID
		case c.MultiImage != nil:
			if n := len(c.MultiImage.Images); n < 2 || n > 20 {
				apiErr(w, 422, 0, "UNPROCESSABLE_ENTITY", "multiImage takes 2 to 20 images")
				return
			}
			for _, im := range c.MultiImage.Images {
				ids = append(ids, im.ID)
				alts = append(alts, im.AltText)
			}
			content["multiImage"] = ids
		default:
			apiErr(w, 422, 0, "UNPROCESSABLE_ENTITY", "empty content")
			return
		}
		for _, id := range ids {
			if v, ok := f.videos[id]; ok && c.Media != nil {
				if v.status != "AVAILABLE" || v.owner != body.Author {
					apiErr(w, 400, 0, "ILLEGAL_ARGUMENT", "Video "+id+" is not available for "+body.Author)
					return
				}
				continue
			}
			img, ok := f.images[id]
			if !ok || img.status != "AVAILABLE" || img.owner != body.Author {
				apiErr(w, 400, 0, "ILLEGAL_ARGUMENT", "Media "+id+" is not available for "+body.Author)
				return
			}
		}
		media = ids
	}
	for _, p := range f.posts {
		if p.author == body.Author && p.commentary == *body.Commentary && *body.Commentary != "" {
			duplicate(w, p.id)
			return
		}
	}
	f.seq++
	id := fmt.Sprintf("urn:li:share:70%d", f.seq)
	f.posts = append(f.posts, &fakePost{id: id, author: body.Author, commentary: *body.Commentary, rendered: renderLittle(*body.Commentary), content: content, media: media, alts: alts, createdAt: time.Now().UnixMilli()})
	if f.loseAnswer {
		// The post exists; the connection breaks before the answer goes out.
		f.loseAnswer = false
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			_ = conn.Close()
		}
		return
	}
	w.Header().Set("x-restli-id", id)
	w.WriteHeader(http.StatusCreated)
}

// duplicate is the Posts API's refusal of a post whose text the author already posted:
// 422 with errorDetails.inputErrors[].code DUPLICATE_POST.
// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/posts-api
// https://github.com/Arisamiga/Linkedin-RSS/issues/5 (the body as LinkedIn sends it)
func duplicate(w http.ResponseWriter, of string) {
	writeJSON(w, 422, map[string]any{
		"errorDetailType": "com.linkedin.common.error.BadRequest",
		"message":         "com.linkedin.content.common.exception.BadRequestResponseException: Content is a duplicate of " + of,
		"errorDetails":    map[string]any{"inputErrors": []map[string]any{{"description": "Duplicate post is detected", "input": map[string]any{}, "code": "DUPLICATE_POST"}}},
		"status":          422,
	})
}

// findPosts is the posts finder by author (q=author), newest first; listing a member's
// posts needs r_member_social, an organization's r_organization_social (403 otherwise).
// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/posts-api
func (f *fakeLinkedIn) findPosts(w http.ResponseWriter, r *http.Request, tok *fakeToken) {
	if !strings.Contains(r.URL.RawQuery, "author=urn%3Ali%3A") {
		apiErr(w, 400, 0, "ILLEGAL_ARGUMENT", "author must be an encoded URN")
		return
	}
	q := r.URL.Query()
	if q.Get("q") != "author" {
		apiErr(w, 400, 0, "ILLEGAL_ARGUMENT", "unknown finder")
		return
	}
	author := q.Get("author")
	if !f.mayRead(tok, author) {
		denied(w, "posts.FINDER-author")
		return
	}
	count, _ := strconv.Atoi(q.Get("count"))
	if count <= 0 {
		count = 10
	}
	els := []map[string]any{}
	for i := len(f.posts) - 1; i >= 0 && len(els) < count; i-- {
		p := f.posts[i]
		if p.author == author {
			els = append(els, map[string]any{"id": p.id, "author": p.author, "commentary": p.commentary, "createdAt": p.createdAt, "publishedAt": p.createdAt, "lifecycleState": "PUBLISHED", "visibility": "PUBLIC"})
		}
	}
	writeJSON(w, 200, map[string]any{"elements": els, "paging": map[string]int{"start": 0, "count": count, "total": len(els)}})
}

// socialActions answers the likes and comments summary for an encoded post URN.
// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/network-update-social-actions
func (f *fakeLinkedIn) socialActions(w http.ResponseWriter, r *http.Request, tok *fakeToken) {
	if !strings.Contains(r.URL.EscapedPath(), "urn%3Ali%3A") {
		apiErr(w, 400, 0, "ILLEGAL_ARGUMENT", "the URN must be URL-encoded")
		return
	}
	urn := r.PathValue("urn")
	author := ""
	for _, p := range f.posts {
		if p.id == urn {
			author = p.author
		}
	}
	if author != "" && !f.mayRead(tok, author) || author == "" && !tok.has("r_member_social") && !tok.has("r_organization_social") {
		denied(w, "socialActions")
		return
	}
	counts, ok := f.social[urn]
	if !ok {
		apiErr(w, 404, 0, "NOT_FOUND", "Not found: "+urn)
		return
	}
	writeJSON(w, 200, map[string]any{
		"$URN":            urn,
		"likesSummary":    map[string]any{"totalLikes": counts[0], "aggregatedTotalLikes": counts[0], "likedByCurrentUser": false},
		"commentsSummary": map[string]any{"totalFirstLevelComments": counts[1], "aggregatedTotalComments": counts[1]},
	})
}

var listParam = regexp.MustCompile(`(?:^|&)(shares|ugcPosts)=List\(([^)]*)\)`)

// shareStatistics is organizationalEntityShareStatistics for given posts (Rest.li List
// syntax with encoded URNs); it needs rw_organization_admin.
// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/share-statistics
func (f *fakeLinkedIn) shareStatistics(w http.ResponseWriter, r *http.Request, tok *fakeToken) {
	sub := tok.sub
	raw := r.URL.RawQuery
	q, _ := url.ParseQuery(raw)
	org := q.Get("organizationalEntity")
	m := listParam.FindStringSubmatch(raw)
	switch {
	case q.Get("q") != "organizationalEntity" || !strings.HasPrefix(org, "urn:li:organization:"):
		apiErr(w, 400, 0, "ILLEGAL_ARGUMENT", "q=organizationalEntity with an organization URN is required")
		return
	case m == nil || !strings.HasPrefix(m[2], "urn%3Ali%3A"):
		apiErr(w, 400, 0, "ILLEGAL_ARGUMENT", "shares must be List(encoded URNs)")
		return
	case f.statsDenied || !tok.has("rw_organization_admin") || !f.administers(sub, org):
		apiErr(w, 403, 100, "ACCESS_DENIED", "Not enough permissions to access: organizationalEntityShareStatistics")
		return
	}
	urn, _ := url.QueryUnescape(m[2])
	s := f.stats[urn]
	key := "share"
	if m[1] == "ugcPosts" {
		key = "ugcPost"
	}
	writeJSON(w, 200, map[string]any{"elements": []map[string]any{{
		"organizationalEntity": org, key: urn,
		"totalShareStatistics": map[string]any{"impressionCount": s[0], "uniqueImpressionsCount": s[1], "shareCount": s[2], "likeCount": f.social[urn][0], "commentCount": f.social[urn][1], "clickCount": 3, "engagement": 0.1},
	}}})
}

// media serves the public files Herald publishes: a .mp4 or .mov name is a video, any
// other an image, "missing" a 404.
func (f *fakeLinkedIn) media(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if strings.HasPrefix(name, "missing") {
		http.NotFound(w, r)
		return
	}
	ctype := "image/jpeg"
	if strings.HasSuffix(name, ".mp4") || strings.HasSuffix(name, ".mov") {
		ctype = "video/mp4"
	}
	w.Header().Set("Content-Type", ctype)
	_, _ = io.WriteString(w, "\xff\xd8\xff\xe0 fake jpeg "+r.PathValue("name"))
}

// videoAction is the Videos API's initializeUpload and finalizeUpload actions. Parts are
// videoPartSize bytes; finalize needs every part's ETag, in order, and the upload token.
// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/videos-api
func (f *fakeLinkedIn) videoAction(w http.ResponseWriter, r *http.Request, tok *fakeToken) {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	switch r.URL.Query().Get("action") {
	case "initializeUpload":
		var body struct {
			InitializeUploadRequest *struct {
				Owner           string `json:"owner"`
				FileSizeBytes   int    `json:"fileSizeBytes"`
				UploadCaptions  bool   `json:"uploadCaptions"`
				UploadThumbnail bool   `json:"uploadThumbnail"`
			} `json:"initializeUploadRequest"`
		}
		if err := dec.Decode(&body); err != nil || body.InitializeUploadRequest == nil || body.InitializeUploadRequest.FileSizeBytes <= 0 {
			apiErr(w, 400, 0, "ILLEGAL_ARGUMENT", "initializeUploadRequest.owner and fileSizeBytes are required")
			return
		}
		req := body.InitializeUploadRequest
		if !f.mayPost(tok, req.Owner) {
			apiErr(w, 403, 0, "ACCESS_DENIED", "Accessing this video resource is forbidden. Please check your permissions for this resource")
			return
		}
		f.seq++
		id := fmt.Sprintf("C5F10AQ%d", f.seq)
		file, err := os.CreateTemp(f.t.TempDir(), "video-*")
		if err != nil {
			f.t.Errorf("fake video file: %v", err)
			apiErr(w, 500, 0, "INTERNAL_SERVER_ERROR", "storage")
			return
		}
		f.t.Cleanup(func() { file.Close() })
		v := &fakeVideo{owner: req.Owner, size: req.FileSizeBytes, token: fmt.Sprintf("upload-token-%d", f.seq), file: file, parts: map[int]bool{}, status: "WAITING_UPLOAD"}
		f.videos["urn:li:video:"+id] = v
		var ins []map[string]any
		for i, first := 0, 0; first < req.FileSizeBytes; i, first = i+1, first+f.videoPartSize {
			last := min(first+f.videoPartSize, req.FileSizeBytes) - 1
			ins = append(ins, map[string]any{"uploadUrl": fmt.Sprintf("%s/videoupload/%s/%d", f.srv.URL, id, i), "firstByte": first, "lastByte": last})
		}
		v.etags = make([]string, len(ins))
		writeJSON(w, 200, map[string]any{"value": map[string]any{"uploadUrlsExpireAt": time.Now().Add(time.Hour).UnixMilli(), "video": "urn:li:video:" + id, "uploadInstructions": ins, "uploadToken": v.token}})
	case "finalizeUpload":
		var body struct {
			FinalizeUploadRequest *struct {
				Video           string   `json:"video"`
				UploadToken     string   `json:"uploadToken"`
				UploadedPartIDs []string `json:"uploadedPartIds"`
			} `json:"finalizeUploadRequest"`
		}
		if err := dec.Decode(&body); err != nil || body.FinalizeUploadRequest == nil {
			apiErr(w, 400, 0, "ILLEGAL_ARGUMENT", "finalizeUploadRequest is required")
			return
		}
		req := body.FinalizeUploadRequest
		v, ok := f.videos[req.Video]
		switch {
		case !ok || v.status != "WAITING_UPLOAD":
			apiErr(w, 400, 0, "ILLEGAL_ARGUMENT", "unknown video or already finalized")
			return
		case req.UploadToken != v.token:
			apiErr(w, 400, 0, "ILLEGAL_ARGUMENT", "wrong uploadToken")
			return
		case strings.Join(req.UploadedPartIDs, ",") != strings.Join(v.etags, ",") || len(v.parts) != len(v.etags):
			apiErr(w, 400, 0, "ILLEGAL_ARGUMENT", "uploadedPartIds do not match the uploaded parts")
			return
		}
		h := sha256.New()
		if _, err := io.Copy(h, io.NewSectionReader(v.file, 0, int64(v.size))); err != nil {
			apiErr(w, 500, 0, "INTERNAL_SERVER_ERROR", "storage")
			return
		}
		v.sha256 = hex.EncodeToString(h.Sum(nil))
		v.status = "PROCESSING"
		if f.videoFails {
			v.status = "PROCESSING_FAILED"
		}
		w.WriteHeader(http.StatusOK)
	default:
		apiErr(w, 400, 0, "ILLEGAL_ARGUMENT", "unknown action")
	}
}

// uploadPart receives one part (its exact byte range) and answers its ETag.
// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/videos-api
func (f *fakeLinkedIn) uploadPart(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = append(f.log, "PUT videoupload")
	if _, ok := f.authorize(w, r); !ok {
		return
	}
	v, ok := f.videos["urn:li:video:"+r.PathValue("video")]
	i, err := strconv.Atoi(r.PathValue("part"))
	if !ok || err != nil || i < 0 || i >= len(v.etags) || v.status != "WAITING_UPLOAD" {
		apiErr(w, 400, 0, "ILLEGAL_ARGUMENT", "unknown upload URL")
		return
	}
	// The part goes to its place in the file as it is read.
	off := int64(i * f.videoPartSize)
	n, err := io.Copy(io.NewOffsetWriter(v.file, off), io.LimitReader(r.Body, int64(f.videoPartSize)+1))
	if want := int64(min(f.videoPartSize, v.size-i*f.videoPartSize)); err != nil || n != want {
		apiErr(w, 400, 0, "ILLEGAL_ARGUMENT", fmt.Sprintf("part %d has %d bytes, want %d", i, n, want))
		return
	}
	v.parts[i] = true
	v.etags[i] = fmt.Sprintf("/ambry-video/part-%s-%d", r.PathValue("video"), i)
	w.Header().Set("ETag", v.etags[i])
	w.WriteHeader(http.StatusOK)
}

// videoStatus answers a video's processing status; a finalized video stays PROCESSING
// for videoPolls checks, then becomes AVAILABLE.
// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/videos-api
func (f *fakeLinkedIn) videoStatus(w http.ResponseWriter, r *http.Request, _ *fakeToken) {
	if !strings.Contains(r.URL.EscapedPath(), "urn%3Ali%3Avideo%3A") {
		apiErr(w, 400, 0, "ILLEGAL_ARGUMENT", "the URN must be URL-encoded")
		return
	}
	v, ok := f.videos[r.PathValue("urn")]
	if !ok {
		apiErr(w, 404, 0, "NOT_FOUND", "video not found")
		return
	}
	if v.status == "PROCESSING" {
		if v.polls >= f.videoPolls {
			v.status = "AVAILABLE"
		}
		v.polls++
	}
	writeJSON(w, 200, map[string]any{"id": r.PathValue("urn"), "owner": v.owner, "status": v.status})
}

// commentedPost returns the post the encoded URN in the path names, or answers 400 for an
// URN that is not encoded and 404 for a post LinkedIn does not have.
func (f *fakeLinkedIn) commentedPost(w http.ResponseWriter, r *http.Request) *fakePost {
	if !strings.Contains(r.URL.EscapedPath(), "urn%3Ali%3A") {
		apiErr(w, 400, 0, "ILLEGAL_ARGUMENT", "the URN must be URL-encoded")
		return nil
	}
	urn := r.PathValue("urn")
	for _, p := range f.posts {
		if p.id == urn {
			return p
		}
	}
	apiErr(w, 404, 0, "NOT_FOUND", "Not found: "+urn)
	return nil
}

// createComment is POST /rest/socialActions/{encoded post URN}/comments with actor, object
// (the same URN) and message.text; the actor must be one the token may post as. It answers
// 201 with the comment ($URN urn:li:comment:(post,id)) and its id in x-restli-id.
// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/comments-api
func (f *fakeLinkedIn) createComment(w http.ResponseWriter, r *http.Request, tok *fakeToken) {
	p := f.commentedPost(w, r)
	if p == nil {
		return
	}
	var body struct {
		Actor   string `json:"actor"`
		Object  string `json:"object"`
		Message *struct {
			Text string `json:"text"`
		} `json:"message"`
	}
	if r.Header.Get("Content-Type") != "application/json" || json.NewDecoder(r.Body).Decode(&body) != nil {
		apiErr(w, 400, 0, "ILLEGAL_ARGUMENT", "the body must be JSON")
		return
	}
	switch {
	case body.Actor == "" || body.Message == nil || strings.TrimSpace(body.Message.Text) == "":
		apiErr(w, 422, 0, "UNPROCESSABLE_ENTITY", "actor and message.text are required")
		return
	case body.Object != p.id:
		apiErr(w, 400, 0, "ILLEGAL_ARGUMENT", "object must be the URN in the path")
		return
	case !f.mayPost(tok, body.Actor):
		denied(w, "comments.CREATE")
		return
	}
	f.seq++
	id := fmt.Sprintf("69%d", f.seq)
	c := fakeComment{id: id, urn: "urn:li:comment:(" + p.id + "," + id + ")", actor: body.Actor, text: body.Message.Text, at: time.Now().UnixMilli()}
	p.comments = append(p.comments, c)
	if f.loseComment {
		f.loseComment = false
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			_ = conn.Close()
		}
		return
	}
	w.Header().Set("x-restli-id", id)
	writeJSON(w, http.StatusCreated, commentJSON(p, c))
}

func commentJSON(p *fakePost, c fakeComment) map[string]any {
	return map[string]any{"$URN": c.urn, "id": c.id, "actor": c.actor, "object": p.id, "message": map[string]any{"text": c.text, "attributes": []any{}},
		"created": map[string]any{"actor": c.actor, "time": c.at}, "lastModified": map[string]any{"actor": c.actor, "time": c.at}}
}

// listComments is GET /rest/socialActions/{encoded post URN}/comments, oldest first; it
// needs the post's author's read scope (r_member_social or r_organization_social).
func (f *fakeLinkedIn) listComments(w http.ResponseWriter, r *http.Request, tok *fakeToken) {
	p := f.commentedPost(w, r)
	if p == nil {
		return
	}
	if !f.mayRead(tok, p.author) {
		denied(w, "comments.GET_ALL")
		return
	}
	els := []map[string]any{}
	for _, c := range p.comments {
		els = append(els, commentJSON(p, c))
	}
	writeJSON(w, 200, map[string]any{"elements": els, "paging": map[string]int{"start": 0, "count": len(els), "total": len(els)}})
}
