package instagram

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/heraldhq/herald/adapters/platforms/graph"
	"github.com/heraldhq/herald/adapters/platforms/platformauth"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// Adapter connects Instagram professional accounts and publishes to them.
type Adapter struct {
	cfg   Config
	graph *graph.Client
	auth  *platformauth.Client
}

var _ ports.Platform = (*Adapter)(nil)

// New returns an adapter for cfg; zero fields take their defaults.
func New(cfg Config) *Adapter {
	cfg = cfg.withDefaults()
	return &Adapter{
		cfg: cfg,
		graph: graph.New(graph.Config{
			Platform: domain.Instagram, BaseURL: cfg.APIURL, Version: cfg.APIVersion,
			AppSecret: cfg.ClientSecret, HTTPClient: cfg.HTTPClient, Now: cfg.Now,
		}),
		auth: graph.NewAuth(graph.AuthConfig{Platform: domain.Instagram, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
			AuthURL: cfg.AuthURL, TokenURL: cfg.TokenURL, PKCE: cfg.PKCE, HTTPClient: cfg.HTTPClient, Now: cfg.Now}),
	}
}

// Platform names the network.
func (a *Adapter) Platform() domain.Platform { return domain.Instagram }

// Scopes are the permissions asked at consent: listing the Pages and their linked
// Instagram accounts, publishing, and reading insights.
// https://developers.facebook.com/documentation/instagram-platform/content-publishing.md
// https://developers.facebook.com/documentation/instagram-platform/insights.md
var Scopes = []string{"instagram_basic", "instagram_content_publish", "instagram_manage_insights", "pages_show_list", "pages_read_engagement"}

// DataAccessLife is how long Meta lets an app read and publish for a person after that
// person last went through its login: "The expiration period for data access is 90 days,
// based on when the user was last active"; after it, the person must log in again.
// https://developers.facebook.com/docs/facebook-login/auth-vs-data
const DataAccessLife = 90 * 24 * time.Hour

// AuthCodeURL returns the Facebook Login dialog's address: client_id, redirect_uri, state,
// response_type=code and the permissions as scope, comma-separated as the manual flow
// documents (https://developers.facebook.com/documentation/facebook-login/guides/advanced/manual-flow),
// or, with a Login for Business configuration, config_id instead of scope
// (https://developers.facebook.com/docs/facebook-login/facebook-login-for-business); with
// Config.PKCE, the S256 challenge of verifier.
func (a *Adapter) AuthCodeURL(state, verifier, redirectURL string) string {
	opt := oauth2.SetAuthURLParam("scope", strings.Join(Scopes, ","))
	if a.cfg.ConfigID != "" {
		opt = oauth2.SetAuthURLParam("config_id", a.cfg.ConfigID)
	}
	return a.auth.AuthCodeURL(state, verifier, redirectURL, opt)
}

// tokenAnswer is oauth/access_token's answer: {"access_token","token_type","expires_in"}.
type tokenAnswer struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
}

// refused turns a token endpoint refusal (a used, expired or wrong code or token: Graph
// codes 100 and 190, type OAuthException) into CodeUnauthenticated.
func refused(err error, msg string) error {
	switch domain.CodeOf(err) {
	case domain.CodeInvalid, domain.CodeUnauthenticated, domain.CodeForbidden:
		return &domain.Error{Code: domain.CodeUnauthenticated, Message: msg, Err: err}
	}
	return err
}

// Exchange trades the code for a user token (x/oauth2, with the PKCE verifier when on), a
// short-lived one for a long-lived one, and lists the Pages the person chose with their
// linked Instagram professional accounts: one identity per Instagram account. A refused
// code is CodeInvalid; none of the Pages linked to Instagram is CodeInvalid too.
//
// Each identity carries its Page's access token, which Instagram's API with Facebook
// Login takes as well as the user's ("Access token type: Facebook User or Page",
// https://developers.facebook.com/docs/instagram-platform/overview). A Page token read
// with a long-lived user token has no expiry
// (https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived),
// so what ends the connection is Meta's data access expiration, 90 days after this login
// (DataAccessLife): that is the credentials' Expiry, which Herald counts down and warns
// the company about. Without a Page token the long-lived user token is kept instead.
func (a *Adapter) Exchange(ctx context.Context, code, verifier, redirectURL string) ([]domain.Identity, error) {
	tok, err := a.auth.Exchange(ctx, code, verifier, redirectURL)
	if err != nil {
		return nil, err
	}
	now := a.cfg.Now()
	dataAccess := now.Add(DataAccessLife)
	userCreds := domain.Credentials{AccessToken: tok.AccessToken, Scopes: Scopes}
	if tok.ExpiresIn > 0 {
		userCreds.Expiry = now.Add(time.Duration(tok.ExpiresIn) * time.Second)
	}
	// Only a short-lived token is traded for a long-lived one, as documented; a token the
	// login already made long-lived (or that does not expire) is kept.
	if tok.ExpiresIn > 0 && time.Duration(tok.ExpiresIn)*time.Second < shortLived {
		long, err := a.exchangeLongLived(ctx, tok.AccessToken)
		if err != nil {
			return nil, refused(err, "Instagram: Facebook refused the sign-in; please connect again.")
		}
		userCreds.AccessToken, userCreds.Expiry = long.AccessToken, now.Add(defaultTokenLife)
		if long.ExpiresIn > 0 {
			userCreds.Expiry = now.Add(time.Duration(long.ExpiresIn) * time.Second)
		}
	}
	if userCreds.Expiry.IsZero() || userCreds.Expiry.After(dataAccess) {
		userCreds.Expiry = dataAccess
	}

	// GET /me/accounts: the Pages the person chose (pages_show_list), each with its Page
	// access_token and instagram_business_account expanded ("GET /<PAGE_ID>?fields=
	// instagram_business_account returns the IG User connected to the Facebook Page",
	// https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/page.md;
	// /me/accounts and its access_token: https://developers.facebook.com/docs/pages/getting-started).
	type page struct {
		ID          string `json:"id"`
		Name        string `json:"name"`
		AccessToken string `json:"access_token"`
		Account     *struct {
			ID       string `json:"id"`
			Username string `json:"username"`
		} `json:"instagram_business_account"`
	}
	var ids []domain.Identity
	seen := map[string]bool{}
	fields := url.Values{"fields": {"id,name,access_token,instagram_business_account{id,username}"}, "limit": {"100"}}
	err = graph.Each(ctx, a.graph, "me/accounts", userCreds.AccessToken, fields, 20, func(p page) bool {
		if p.Account == nil || p.Account.ID == "" || seen[p.Account.ID] {
			return true
		}
		seen[p.Account.ID] = true
		name := p.Account.Username
		if name == "" {
			name = p.Name
		}
		creds := userCreds
		if p.AccessToken != "" {
			creds = domain.Credentials{AccessToken: p.AccessToken, Expiry: dataAccess, Scopes: Scopes}
		}
		ids = append(ids, domain.Identity{ExternalID: p.Account.ID, DisplayName: name, Credentials: creds})
		return true
	})
	if err != nil {
		return nil, igError(err)
	}
	if len(ids) == 0 {
		return nil, domain.Errorf(domain.CodeInvalid, "Instagram: none of the Facebook Pages you chose is linked to an Instagram professional account.")
	}
	return ids, nil
}

// defaultTokenLife is used when the token endpoint does not say (long-lived user tokens
// "generally last about 60 days"), and shortLived is how long a user token may last and
// still be a short-lived one (they last hours)
// (https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived).
const (
	defaultTokenLife = 60 * 24 * time.Hour
	shortLived       = 24 * time.Hour
)

// exchangeLongLived swaps the short-lived user token from the login for a long-lived one
// (about 60 days), as the documentation shows it: GET oauth/access_token with
// grant_type=fb_exchange_token, client_id, client_secret and fb_exchange_token.
// https://developers.facebook.com/documentation/facebook-login/guides/access-tokens/get-long-lived
func (a *Adapter) exchangeLongLived(ctx context.Context, short string) (tokenAnswer, error) {
	params := url.Values{
		"grant_type": {"fb_exchange_token"}, "fb_exchange_token": {short},
		"client_id": {a.cfg.ClientID}, "client_secret": {a.cfg.ClientSecret},
	}
	var t tokenAnswer
	if err := a.graph.Call(ctx, http.MethodGet, a.cfg.TokenURL, params, &t); err != nil {
		return tokenAnswer{}, err
	}
	if t.AccessToken == "" {
		return tokenAnswer{}, domain.Errorf(domain.CodeUnavailable, "Instagram: the sign-in answer carried no token; please try again.")
	}
	return t, nil
}

// debugToken is the data of GET /debug_token: whether the token is valid, when it expires
// (0: never) and when the app's access to the person's data expires.
// https://developers.facebook.com/docs/graph-api/reference/debug_token
type debugToken struct {
	AppID      string `json:"app_id"`
	Type       string `json:"type"`
	IsValid    bool   `json:"is_valid"`
	ExpiresAt  int64  `json:"expires_at"`
	DataAccess int64  `json:"data_access_expires_at"`
	Error      *struct {
		Code    int `json:"code"`
		Subcode int `json:"subcode"`
	} `json:"error"`
}

// Refresh renews the way Meta allows. Facebook gives no refresh token, and the long-lived
// exchange is documented for short-lived tokens only; a Page token does not expire, and
// the data access behind it lasts 90 days from the person's last login
// (https://developers.facebook.com/docs/facebook-login/auth-vs-data), which only that
// person can renew by going through the login again. So Refresh asks Meta where the
// token stands (GET /debug_token with the app's access token): when the data access was
// extended meanwhile (the person connected through Herald again), it returns the
// credentials with the new Expiry; otherwise it answers CodeUnauthenticated with the date
// access ends, and Herald keeps using the token until then while it warns the company.
func (a *Adapter) Refresh(ctx context.Context, c domain.Credentials) (domain.Credentials, error) {
	if c.AccessToken == "" {
		return domain.Credentials{}, domain.Errorf(domain.CodeUnauthenticated, "Instagram: Herald holds no access to this account; please reconnect it.")
	}
	var answer struct {
		Data debugToken `json:"data"`
	}
	// The app access token is "{app-id}|{app-secret}":
	// https://developers.facebook.com/docs/facebook-login/guides/access-tokens#apptokens
	appToken := a.cfg.ClientID + "|" + a.cfg.ClientSecret
	err := a.get(ctx, "debug_token", url.Values{"input_token": {c.AccessToken}}, appToken, &answer)
	if err != nil {
		switch domain.CodeOf(err) {
		case domain.CodeUnauthenticated, domain.CodeForbidden, domain.CodeInvalid:
			// A refusal of the call itself is about the app's own token (the input token's
			// state comes in the answer): the operator's app credentials, not the account.
			return domain.Credentials{}, &domain.Error{Code: domain.CodeUnavailable,
				Message: "Instagram refused Herald's app credentials; the operator must check the Meta app id and secret.", Err: err}
		}
		return domain.Credentials{}, err
	}
	d := answer.Data
	if !d.IsValid || (d.AppID != "" && d.AppID != a.cfg.ClientID) {
		cause := errorf("debug_token: the token is not valid (type %q)", d.Type)
		if d.Error != nil {
			cause = errorf("debug_token: the token is not valid (type %q, code %d, subcode %d)", d.Type, d.Error.Code, d.Error.Subcode)
		}
		return domain.Credentials{}, &domain.Error{Code: domain.CodeUnauthenticated,
			Message: "Instagram: Meta no longer accepts Herald's access to this account; please reconnect it.", Err: cause}
	}
	var expiry time.Time
	for _, at := range []int64{d.ExpiresAt, d.DataAccess} {
		if at <= 0 {
			continue
		}
		if t := time.Unix(at, 0).UTC(); expiry.IsZero() || t.Before(expiry) {
			expiry = t
		}
	}
	if expiry.IsZero() || (!c.Expiry.IsZero() && expiry.After(c.Expiry)) {
		fresh := c
		fresh.Expiry = expiry
		return fresh, nil
	}
	msg := fmt.Sprintf("Instagram: Meta lets Herald reach this account for 90 days after the person who connected it last signed in through Herald; that ends on %s. Reconnect the account to renew it.", expiry.Format("2 January 2006"))
	if d.Type == "USER" {
		// Connected before Herald kept Page tokens: a long-lived user token, which only a login renews.
		msg = fmt.Sprintf("Instagram: Herald's access to this account ends on %s and only a new sign-in renews it. Reconnect the account; Herald then keeps the Page's token, which does not expire.", expiry.Format("2 January 2006"))
	}
	return domain.Credentials{}, &domain.Error{Code: domain.CodeUnauthenticated,
		Message: msg,
		Err:     errorf("debug_token: access ends at %s and cannot be renewed without a login", expiry.Format(time.RFC3339))}
}

// errorf is fmt.Errorf with the package's prefix.
func errorf(format string, args ...any) error { return fmt.Errorf("instagram: "+format, args...) }
