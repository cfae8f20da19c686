package app

import (
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// Deps is everything the use cases are built from: ports (adapters built by the caller)
// and plain configuration. Zero values are sensible for tests: a nil clock is time.Now,
// zero limits and tuning are the defaults, a nil optional port turns its feature off.
type Deps struct {
	// Store is the database. Required.
	Store ports.Store
	// Authz answers permission questions and keeps roles. Required.
	Authz ports.Authorizer
	// Hasher hashes and checks passwords. Required.
	Hasher ports.PasswordHasher
	// Cipher seals social-account tokens, connect flows' verifiers and webhook secrets
	// (the key ring). Required.
	Cipher ports.TokenCipher
	// OTP makes two-factor sign-in's authenticator secrets, QR codes and codes; nil turns
	// two-factor enrolment off (503).
	OTP ports.OneTimePasswords
	// Platforms are the configured social platforms' adapters; none means no account can
	// be connected.
	Platforms []ports.Platform
	// MediaProbe looks at posts' media before they are scheduled; nil: not at all.
	MediaProbe ports.MediaProbe
	// MediaStorage keeps the media library's bytes; nil turns the media library off.
	MediaStorage ports.MediaStorage
	// MediaInspector reads uploaded files; required with MediaStorage.
	MediaInspector ports.MediaInspector
	// Media configures the media library's addresses and spool.
	Media MediaConfig
	// Captions suggests captions (the AI assist); nil turns the assist off.
	Captions ports.CaptionGenerator
	// WebhookSender delivers webhook events; it must follow WebhookURLs when it connects.
	// Nil: deliveries fail (nothing is ever sent).
	WebhookSender ports.WebhookSender
	// WebhookURLs says which endpoint addresses are accepted.
	WebhookURLs domain.WebhookURLPolicy
	// RateCounter counts the JSON API's requests; nil means Store when it is one.
	RateCounter ports.RateCounter
	// APIRateScale multiplies every API rate limit; 0 or less turns limiting off.
	APIRateScale float64

	// Now is the clock of the use cases; nil means time.Now.
	Now func() time.Time
	// AuthNow is the clock of signing in, sessions, their throttling windows and the API's
	// rate limits; nil means Now. Tests set one so throttling windows never end mid-test.
	AuthNow func() time.Time
	// Limits throttle sign-in; zero means DefaultLimits.
	Limits Limits
	// Publishing tunes publishing's retries; zero means DefaultPublishing.
	Publishing PublishingConfig
	// MetricsSchedule is when post metrics are collected; empty means
	// domain.DefaultMetricsSchedule.
	MetricsSchedule domain.MetricsSchedule

	// CallbackURL returns the absolute address of the OAuth redirect target registered
	// with a platform; nil gives "" (no connect flow can finish).
	CallbackURL func(domain.Platform) string
	// AcceptURL returns the absolute address of an invitation's accept page for its token;
	// nil gives "".
	AcceptURL func(token string) string

	// Passkeys does WebAuthn's checks for passkeys; nil turns passkeys off.
	Passkeys ports.PasskeyCeremonies
	// ReviewURL returns the absolute address of a review link's page for its token; nil
	// gives the path alone (ReviewPath).
	ReviewURL func(token string) string

	// Mail configures email: the SMTP sender, the templates and links' addresses.
	Mail MailConfig

	// ReviewLimits throttle clients' answers through a review link; zero means
	// DefaultReviewLimits.
	ReviewLimits ReviewLimits

	// Log receives the use cases' logs; nil discards them.
	Log *slog.Logger
	// QuietLog receives the logs of work that fails while the database is away (rate
	// counting), which the caller may hold back during an outage; nil means Log.
	QuietLog *slog.Logger
}

// Services are Herald's use cases, each built once by New and shared by the web app, the
// JSON API, the workers and the commands.
type Services struct {
	Auth         *Auth
	Passkeys     *Passkeys // passkeys (WebAuthn); Enabled says whether they are configured
	Teams        *Teams
	Admin        *Admin
	Platforms    *Platforms   // the configured platforms
	Credentials  *Credentials // social accounts' tokens: sealed, cached, refreshed
	Accounts     *Accounts
	Posts        *Posts
	PostingQueue *Queue // the posting queue: weekly times, and posts scheduled at the next free one
	Media        *Media // the media library; Enabled says whether storage is configured
	Snippets     *Snippets
	Publishing   *Publishing
	AI           *AI
	Analytics    *Analytics
	Webhooks     *Webhooks
	Privacy      *Privacy
	Audit        *AuditLog
	Idempotency  *Idempotency
	Home         *Home // the signed-in start page
	// Mail is the email outbox; Notifications tell people of events in the app and by email.
	Mail          *Mail
	Notifications *Notifications
	// RateLimiter limits the JSON API's requests; nil when there is no RateCounter.
	RateLimiter *RateLimiter
	// Discussion is posts' threads; Reviews the review links for clients.
	Discussion *Discussion
	Reviews    *Reviews
}

// New builds every service once from d. It returns an error when a required dependency
// is missing or a configuration is invalid.
func New(d Deps) (*Services, error) {
	switch {
	case d.Store == nil:
		return nil, errors.New("app: New: no Store")
	case d.Authz == nil:
		return nil, errors.New("app: New: no Authz")
	case d.Hasher == nil:
		return nil, errors.New("app: New: no Hasher")
	case d.Cipher == nil:
		return nil, errors.New("app: New: no Cipher")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.AuthNow == nil {
		d.AuthNow = d.Now
	}
	if d.Limits == (Limits{}) {
		d.Limits = DefaultLimits
	}
	if d.Publishing == (PublishingConfig{}) {
		d.Publishing = DefaultPublishing
	}
	if len(d.MetricsSchedule) == 0 {
		d.MetricsSchedule = domain.DefaultMetricsSchedule
	}
	if d.CallbackURL == nil {
		d.CallbackURL = func(domain.Platform) string { return "" }
	}
	if d.AcceptURL == nil {
		d.AcceptURL = func(string) string { return "" }
	}
	if d.Log == nil {
		d.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if d.QuietLog == nil {
		d.QuietLog = d.Log
	}
	if d.RateCounter == nil {
		d.RateCounter, _ = d.Store.(ports.RateCounter)
	}
	if d.MediaStorage != nil {
		switch {
		case d.MediaInspector == nil:
			return nil, errors.New("app: New: MediaStorage without a MediaInspector")
		case len(d.Media.SigningKey) < 32:
			return nil, errors.New("app: New: the media signing key is shorter than 32 bytes")
		}
	}

	s := &Services{}
	var err error
	if s.Auth, err = NewAuth(d.Store, d.Authz, d.Hasher, d.Limits, d.AuthNow, d.Log); err != nil {
		return nil, err
	}
	s.Passkeys = NewPasskeys(d.Store, d.Passkeys, s.Auth)
	s.Auth.cipher, s.Auth.otp = d.Cipher, d.OTP
	s.Teams = NewTeams(d.Store, d.Authz, d.AcceptURL, d.Now, d.Log)
	s.Admin = NewAdmin(d.Store, d.Authz, d.Now)
	s.Platforms = NewPlatforms(d.Platforms, d.Now)
	s.Credentials = NewCredentials(d.Store, d.Cipher, s.Platforms, d.Now, d.Log)
	s.Accounts = NewAccounts(d.Store, d.Authz, s.Credentials, s.Platforms, d.CallbackURL, d.Now, d.Log)
	s.Posts = NewPosts(d.Store, d.Authz, d.MediaProbe, d.Now, d.Log)
	s.PostingQueue = NewQueue(d.Store, d.Authz, s.Posts, d.Now)
	s.Media = &Media{store: d.Store, authz: d.Authz, storage: d.MediaStorage, inspect: d.MediaInspector,
		signer: mediaSigner{key: d.Media.SigningKey, fileURL: d.Media.FileURL}, spool: d.Media.SpoolDir,
		direct: d.Media.DirectURLs, now: d.Now, log: d.Log}
	s.Snippets = NewSnippets(d.Store, d.Authz, d.Now)
	s.Publishing = NewPublishing(d.Store, s.Credentials, s.Platforms, d.Publishing, d.Now, d.Log)
	s.Publishing.media = s.Media
	s.AI = NewAI(d.Store, d.Authz, d.Captions, d.Now, d.Log)
	s.Analytics = NewAnalytics(d.Store, d.Authz, s.Credentials, s.Platforms, d.MetricsSchedule, d.Now, d.Log)
	s.Webhooks = NewWebhooks(d.Store, d.Authz, d.Cipher, d.WebhookSender, d.WebhookURLs, d.Now, d.Log)
	s.Privacy = NewPrivacy(d.Store, d.Authz, d.Now, d.Log)
	s.Privacy.media = s.Media
	s.Audit = NewAuditLog(d.Store, d.Authz)
	s.Idempotency = NewIdempotency(d.Store, d.Now)
	s.Home = NewHome(d.Store, d.Authz, d.Now)
	if d.Mail.AppURL == nil {
		d.Mail.AppURL = func(p string) string { return p }
	}
	if d.Mail.Templates != nil && len(d.Mail.SigningKey) < 32 {
		return nil, errors.New("app: New: the mail signing key is shorter than 32 bytes")
	}
	s.Mail = &Mail{store: d.Store, authz: d.Authz, cipher: d.Cipher, templates: d.Mail.Templates, mailer: d.Mail.Mailer, appURL: d.Mail.AppURL,
		key: d.Mail.SigningKey, now: d.Now, log: d.Log}
	s.Auth.mail, s.Teams.mail = s.Mail, s.Mail
	s.Notifications = &Notifications{store: d.Store, authz: d.Authz, mail: s.Mail, now: d.Now, log: d.Log}
	s.Publishing.notify, s.Credentials.notify, s.Webhooks.notify = s.Notifications, s.Notifications, s.Notifications
	s.Posts.Notify = s.Notifications
	s.Discussion = &Discussion{store: d.Store, authz: d.Authz, notify: s.Notifications, now: d.Now}
	if d.ReviewLimits == (ReviewLimits{}) {
		d.ReviewLimits = DefaultReviewLimits
	}
	if d.ReviewURL == nil {
		d.ReviewURL = ReviewPath
	}
	s.Reviews = &Reviews{store: d.Store, authz: d.Authz, notify: s.Notifications, url: d.ReviewURL, limits: d.ReviewLimits, now: d.Now,
		authNow: d.AuthNow}
	if d.RateCounter != nil {
		s.RateLimiter = NewRateLimiter(d.RateCounter, d.APIRateScale, d.AuthNow, d.QuietLog)
	}
	return s, nil
}
