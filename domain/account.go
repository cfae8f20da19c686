package domain

import "time"

// AccountStatus says whether Herald can publish to an account.
type AccountStatus string

// The statuses of a connected account.
const (
	AccountActive         AccountStatus = "active"
	AccountReauthRequired AccountStatus = "reauth_required" // the platform refused its token: a person must reconnect
	AccountDisconnected   AccountStatus = "disconnected"
)

// Account is a social account a company connected: a LinkedIn member or organization, an
// Instagram professional account, a Facebook Page, a TikTok creator, or a sandbox user.
type Account struct {
	ID             AccountID
	CompanyID      CompanyID
	Platform       Platform
	ExternalID     string // the platform's id of the account
	DisplayName    string
	Status         AccountStatus
	StatusReason   string    // why it is not active, for a person
	TokenExpiresAt time.Time // zero when the platform's token does not expire
	ConnectedAt    time.Time
	UpdatedAt      time.Time
	// TokenLostAt is when the platform refused a refresh right after an interrupted one:
	// the refresh token it had rotated to was never stored. The account needs
	// reconnecting, and its due posts wait for that (see TokenLostWait). Zero otherwise.
	TokenLostAt time.Time
	// HasRefreshToken is set when Herald holds a refresh token for the account.
	HasRefreshToken bool
	// LastSuccessAt is when the platform last answered a call for the account with a
	// success (a publish, metrics, a token refresh), to the minute; zero before the first.
	LastSuccessAt time.Time
	// Scopes are the permissions the platform granted at the last connect (empty when it did
	// not say); adapters receive them in Credentials.Scopes.
	Scopes []string
}

// ExpiryWarningAhead is how long before a token that cannot be renewed expires the company
// is told (the account.expiring webhook event).
const ExpiryWarningAhead = 7 * 24 * time.Hour

// SuccessResolution is how often an account's last success is written at most: health
// to the minute, not a write per call.
const SuccessResolution = time.Minute

// Renewable reports whether Herald can renew the account's token before it expires: it
// does not expire, or Herald holds a refresh token. No platform renews without one: an
// Instagram account's expiry is Meta's 90-day data access, which only the person's login
// renews (adapters/platforms/instagram).
func (a Account) Renewable() bool {
	return a.TokenExpiresAt.IsZero() || a.HasRefreshToken
}

// AccessEndsAt returns when Herald's access to the account ends unless a person reconnects
// it: the expiry of a token that cannot be renewed. It is zero for a renewable token and
// for an account that is not active.
func (a Account) AccessEndsAt() time.Time {
	if a.Status != AccountActive || a.Renewable() {
		return time.Time{}
	}
	return a.TokenExpiresAt
}

// ExpiresSoon reports whether, at now, the account's access ends (AccessEndsAt) within
// ExpiryWarningAhead: the company must be told to reconnect it.
func (a Account) ExpiresSoon(now time.Time) bool {
	end := a.AccessEndsAt()
	return !end.IsZero() && end.Before(now.Add(ExpiryWarningAhead))
}

// TokenLostWait is how long the due posts of an account whose token was lost wait for it to
// be reconnected before they fail.
const TokenLostWait = 24 * time.Hour

// WaitsForReconnect reports whether the account's due posts should wait at now instead of
// failing: its token was lost to an interrupted refresh less than TokenLostWait ago.
func (a Account) WaitsForReconnect(now time.Time) bool {
	return a.Status == AccountReauthRequired && !a.TokenLostAt.IsZero() && now.Before(a.TokenLostAt.Add(TokenLostWait))
}

// Credentials are an account's OAuth tokens in the clear. They exist only in memory, for
// the length of one call; storage keeps them encrypted.
type Credentials struct {
	AccessToken  string
	RefreshToken string
	Expiry       time.Time // zero: does not expire
	Scopes       []string
}

// Fresh reports whether the access token is usable for another margin after now.
func (c Credentials) Fresh(now time.Time, margin time.Duration) bool {
	return c.AccessToken != "" && (c.Expiry.IsZero() || c.Expiry.After(now.Add(margin)))
}

// Identity is one account a platform login gave access to, with its tokens.
type Identity struct {
	ExternalID  string
	DisplayName string
	Credentials Credentials
}

// Metrics are a published post's engagement numbers, mapped onto Herald's names.
type Metrics struct {
	Likes       int64
	Comments    int64
	Shares      int64
	Reach       int64
	Impressions int64
}
