package tiktok

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/heraldhq/herald/adapters/platforms/platformenv"
)

// The production endpoints.
const (
	// DefaultAuthURL is the consent page of Login Kit for Web.
	// https://developers.tiktok.com/doc/login-kit-web
	DefaultAuthURL = "https://www.tiktok.com/v2/auth/authorize/"
	// DefaultTokenURL exchanges codes and refresh tokens (the host is open.tiktokapis.com,
	// not open.tiktok.com).
	// https://developers.tiktok.com/doc/oauth-user-access-token-management
	DefaultTokenURL = "https://open.tiktokapis.com/v2/oauth/token/"
	// DefaultAPIURL is the base of the v2 API (Display API, Content Posting API).
	// https://developers.tiktok.com/doc/content-posting-api-reference-direct-post
	DefaultAPIURL = "https://open.tiktokapis.com"
)

// The privacy levels a video can be posted with; creator info says which of them the
// creator may use.
// https://developers.tiktok.com/doc/content-posting-api-reference-query-creator-info/
const (
	PrivacyPublic         = "PUBLIC_TO_EVERYONE"
	PrivacyMutualFriends  = "MUTUAL_FOLLOW_FRIENDS"
	PrivacyFollowers      = "FOLLOWER_OF_CREATOR"
	PrivacySelfOnly       = "SELF_ONLY"
	defaultPollInterval   = 5 * time.Second
	defaultPollTimeout    = 2 * time.Minute
	defaultHTTPTimeout    = 30 * time.Second
	defaultPrivacyLevel   = PrivacyPublic
	maxResponseBodyLength = 1 << 20
)

// How a video reaches TikTok (HERALD_TIKTOK_UPLOAD_MODE). TikTok pulls a video from its URL
// only when the URL is on a domain or prefix verified for the app; otherwise Herald
// downloads the video and sends it in chunks (FILE_UPLOAD).
// https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide
const (
	UploadAuto = "auto"   // pull, and upload when TikTok answers url_ownership_unverified
	UploadPull = "pull"   // PULL_FROM_URL only
	UploadFile = "upload" // FILE_UPLOAD only
)

// Where a post goes (HERALD_TIKTOK_POST_MODE): straight to the profile, or to the creator's
// TikTok inbox as a draft the creator finishes in the app.
// https://developers.tiktok.com/doc/content-posting-api-reference-direct-post
// https://developers.tiktok.com/doc/content-posting-api-reference-upload-video
const (
	PostDirect = "direct"
	PostInbox  = "inbox"
)

const (
	// defaultMaxVideoBytes is the largest video TikTok takes: 4 GB. (The stored excerpt of
	// TikTok's guide, https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide,
	// ends before its video restrictions; 4 GB is also what
	// https://docs.getlate.dev/resources/media-guidelines/tiktok gives.)
	defaultMaxVideoBytes = 4 << 30
	// defaultChunkBytes is the chunk size Herald prefers, within TikTok's 5 MB to 64 MB.
	defaultChunkBytes = 10 << 20
	// defaultTransferTimeout bounds one download of a video or one chunk sent to TikTok.
	defaultTransferTimeout = 15 * time.Minute
)

var (
	uploadModes = []string{UploadAuto, UploadPull, UploadFile}
	postModes   = []string{PostDirect, PostInbox}
)

var privacyLevels = []string{PrivacyPublic, PrivacyMutualFriends, PrivacyFollowers, PrivacySelfOnly}

// Config is how the adapter reaches TikTok. Zero fields take the defaults New documents.
type Config struct {
	// ClientID is the app's client key (TikTok calls it client_key); ClientSecret its secret.
	ClientID, ClientSecret string
	// AuthURL is the consent page, TokenURL the OAuth token endpoint, APIURL the base of the
	// v2 API (without /v2). Tests point them at a fake.
	AuthURL, TokenURL, APIURL string
	// HTTPClient sends every request; nil means a client with a 30 s timeout.
	HTTPClient *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// PrivacyLevel is the privacy level videos are posted with when the creator may use it;
	// otherwise the first level creator info offers is used. Empty means PUBLIC_TO_EVERYONE.
	// Apps TikTok has not audited yet can only post SELF_ONLY.
	PrivacyLevel string
	// PollInterval is the pause between two publish status checks (default 5 s) and
	// PollTimeout how long Publish waits for TikTok to finish (default 2 min).
	PollInterval, PollTimeout time.Duration
	// UploadMode is how videos reach TikTok: UploadAuto (the default), UploadPull or
	// UploadFile. Photos are always pulled from their URLs (TikTok takes no photo upload).
	UploadMode string
	// PostMode is PostDirect (the default: posted on the profile; scopes video.publish and
	// video.list) or PostInbox (sent to the creator's inbox as a draft; scope video.upload
	// only).
	PostMode string
	// MaxVideoBytes caps the size of a video Herald downloads to upload (default 4 GB,
	// TikTok's limit); a bigger one is refused as invalid.
	MaxVideoBytes int64
	// ChunkBytes is the preferred size of the chunks a video is uploaded in (default 10 MB);
	// it is kept within TikTok's chunk rules.
	ChunkBytes int64
	// MediaClient downloads videos to upload; nil means Herald's outbound guard
	// (adapters/outbound), which refuses every address that is not public.
	MediaClient *http.Client
	// AllowPrivateMedia lets the default media client reach loopback and private addresses
	// (never link-local or metadata ones): HERALD_MEDIA_ALLOW_PRIVATE, for media served on
	// Herald's own network.
	AllowPrivateMedia bool
	// TempDir is where a video is kept while it is uploaded; empty means os.TempDir().
	TempDir string
}

// ParseConfig reads HERALD_TIKTOK_CLIENT_ID and HERALD_TIKTOK_CLIENT_SECRET through getenv;
// ok is false when both are unset (TikTok is not configured) and an error is returned when
// only one is. HERALD_TIKTOK_AUTH_URL, HERALD_TIKTOK_TOKEN_URL and HERALD_TIKTOK_API_URL
// override the production endpoints and must be absolute http(s) URLs;
// HERALD_TIKTOK_PRIVACY_LEVEL (PUBLIC_TO_EVERYONE, MUTUAL_FOLLOW_FRIENDS,
// FOLLOWER_OF_CREATOR or SELF_ONLY) sets the preferred privacy level;
// HERALD_TIKTOK_UPLOAD_MODE (auto, pull or upload; default auto) how videos reach TikTok;
// HERALD_TIKTOK_POST_MODE (direct or inbox; default direct) whether posts are published or
// sent to the creator's inbox (which decides the scopes asked for: see Scopes);
// HERALD_MEDIA_ALLOW_PRIVATE lets video downloads reach private addresses. Every bad value
// is reported at once.
func ParseConfig(getenv func(string) string) (Config, bool, error) {
	id, secret, ok, err := platformenv.App(getenv, "TIKTOK")
	if !ok {
		return Config{}, false, err
	}
	cfg := Config{ClientID: id, ClientSecret: secret, AuthURL: DefaultAuthURL, TokenURL: DefaultTokenURL, APIURL: DefaultAPIURL, PrivacyLevel: defaultPrivacyLevel,
		UploadMode: UploadAuto, PostMode: PostDirect, AllowPrivateMedia: platformenv.MediaAllowPrivate(getenv)}
	var errs []error
	if err := platformenv.URLs(getenv, "TIKTOK", &cfg.AuthURL, &cfg.TokenURL, &cfg.APIURL); err != nil {
		errs = append(errs, err)
	}
	if v := strings.TrimSpace(getenv("HERALD_TIKTOK_PRIVACY_LEVEL")); v != "" {
		if !contains(privacyLevels, v) {
			errs = append(errs, fmt.Errorf("HERALD_TIKTOK_PRIVACY_LEVEL: %q is not one of %s", v, strings.Join(privacyLevels, ", ")))
		} else {
			cfg.PrivacyLevel = v
		}
	}
	for _, v := range []struct {
		name    string
		allowed []string
		dst     *string
	}{
		{"HERALD_TIKTOK_UPLOAD_MODE", uploadModes, &cfg.UploadMode},
		{"HERALD_TIKTOK_POST_MODE", postModes, &cfg.PostMode},
	} {
		raw := strings.ToLower(strings.TrimSpace(getenv(v.name)))
		if raw == "" {
			continue
		}
		if !contains(v.allowed, raw) {
			errs = append(errs, fmt.Errorf("%s: %q is not one of %s", v.name, raw, strings.Join(v.allowed, ", ")))
			continue
		}
		*v.dst = raw
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, false, err
	}
	return cfg, true, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
