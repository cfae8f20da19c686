package instagram

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// Adapter connects Instagram professional accounts and publishes to them.
type Adapter struct {
	cfg Config
}

var _ ports.Platform = (*Adapter)(nil)

// New returns an adapter for cfg; zero fields take their defaults.
func New(cfg Config) *Adapter { return &Adapter{cfg: cfg.withDefaults()} }

// Platform names the network.
func (a *Adapter) Platform() domain.Platform { return domain.Instagram }

// Scopes are the permissions asked at consent: listing the Pages and their linked
// Instagram accounts, publishing, and reading insights.
// https://developers.facebook.com/documentation/instagram-platform/content-publishing.md
// https://developers.facebook.com/documentation/instagram-platform/insights.md
var Scopes = []string{"instagram_basic", "instagram_content_publish", "instagram_manage_insights", "pages_show_list", "pages_read_engagement"}

// defaultTokenLife is used when the token endpoint does not say (long-lived user tokens
// "generally last about 60 days").
const defaultTokenLife = 60 * 24 * time.Hour

// AuthCodeURL returns the Facebook Login dialog's address.
// https://developers.facebook.com/documentation/facebook-login/guides/advanced/manual-flow
// (client_id, redirect_uri, state, response_type=code, scope comma-separated); PKCE
// code_challenge/code_challenge_method=S256 per
// https://developers.facebook.com/documentation/facebook-login/guides/advanced/oidc-token
func (a *Adapter) AuthCodeURL(state, verifier, redirectURL string) string {
	q := url.Values{
		"client_id":     {a.cfg.ClientID},
		"redirect_uri":  {redirectURL},
		"state":         {state},
		"response_type": {"code"},
		"scope":         {strings.Join(Scopes, ",")},
	}
	if verifier != "" {
		sum := sha256.Sum256([]byte(verifier))
		q.Set("code_challenge", base64.RawURLEncoding.EncodeToString(sum[:]))
		q.Set("code_challenge_method", "S256")
	}
	sep := "?"
	if strings.Contains(a.cfg.AuthURL, "?") {
		sep = "&"
	}
	return a.cfg.AuthURL + sep + q.Encode()
}

// tokenAnswer is oauth/access_token's answer: {"access_token","token_type","expires_in"}.
type tokenAnswer struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
}

// token calls the token endpoint with params (GET, as the docs show) and returns the token.
func (a *Adapter) token(ctx context.Context, params url.Values) (tokenAnswer, error) {
	params.Set("client_id", a.cfg.ClientID)
	params.Set("client_secret", a.cfg.ClientSecret)
	var t tokenAnswer
	if err := a.do(ctx, http.MethodGet, a.cfg.TokenURL+"?"+params.Encode(), nil, &t); err != nil {
		return tokenAnswer{}, err
	}
	if t.AccessToken == "" {
		return tokenAnswer{}, domain.Errorf(domain.CodeUnavailable, "Instagram: the sign-in answer carried no token; please try again.")
	}
	return t, nil
}

func (a *Adapter) credentials(t tokenAnswer) domain.Credentials {
	life := defaultTokenLife
	if t.ExpiresIn > 0 {
		life = time.Duration(t.ExpiresIn) * time.Second
	}
	return domain.Credentials{AccessToken: t.AccessToken, Expiry: a.cfg.Now().Add(life), Scopes: Scopes}
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

// Exchange trades the code for a short-lived user token, that for a long-lived one, and
// lists the Pages the person chose with their linked Instagram professional accounts: one
// identity per Instagram account. Each carries the long-lived Facebook user token, which
// is what the Content Publishing API takes with Facebook Login ("Facebook User access
// token", https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/ig-container.md).
func (a *Adapter) Exchange(ctx context.Context, code, verifier, redirectURL string) ([]domain.Identity, error) {
	// https://developers.facebook.com/documentation/facebook-login/guides/advanced/manual-flow
	// (GET oauth/access_token with client_id, redirect_uri, client_secret, code)
	params := url.Values{"redirect_uri": {redirectURL}, "code": {code}}
	if verifier != "" {
		params.Set("code_verifier", verifier) // oidc-token page: PKCE verifier at the token endpoint
	}
	short, err := a.token(ctx, params)
	if err != nil {
		return nil, refused(err, "Instagram: Facebook refused the sign-in; please connect again.")
	}
	long, err := a.exchangeLongLived(ctx, short.AccessToken)
	if err != nil {
		return nil, refused(err, "Instagram: Facebook refused the sign-in; please connect again.")
	}
	creds := a.credentials(long)

	// GET /me/accounts (the Pages the person chose, pages_show_list) with the Page field
	// instagram_business_account expanded: "GET /<PAGE_ID>?fields=instagram_business_account
	// returns the IG User connected to the Facebook Page",
	// https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/page.md
	// (the /me/accounts edge itself is from PLATFORMS.md; its reference page is not in the stored docs).
	type page struct {
		ID      string `json:"id"`
		Name    string `json:"name"`
		Account *struct {
			ID       string `json:"id"`
			Username string `json:"username"`
		} `json:"instagram_business_account"`
	}
	var ids []domain.Identity
	seen := map[string]bool{}
	next := a.apiURL("me/accounts") + "?" + url.Values{
		"fields":       {"id,name,instagram_business_account{id,username}"},
		"limit":        {"100"},
		"access_token": {creds.AccessToken},
	}.Encode()
	for pages := 0; next != "" && pages < 20; pages++ {
		var answer struct {
			Data   []page `json:"data"`
			Paging struct {
				Next string `json:"next"`
			} `json:"paging"`
		}
		if err := a.do(ctx, http.MethodGet, next, nil, &answer); err != nil {
			return nil, err
		}
		for _, p := range answer.Data {
			if p.Account == nil || p.Account.ID == "" || seen[p.Account.ID] {
				continue
			}
			seen[p.Account.ID] = true
			name := p.Account.Username
			if name == "" {
				name = p.Name
			}
			ids = append(ids, domain.Identity{ExternalID: p.Account.ID, DisplayName: name, Credentials: creds})
		}
		next = ""
		// Graph pagination: follow paging.next, only on the API's own host (it carries the token).
		// https://developers.facebook.com/docs/graph-api/results/
		if answer.Paging.Next != "" && a.sameHost(answer.Paging.Next) {
			next = answer.Paging.Next
		}
	}
	if len(ids) == 0 {
		return nil, domain.Errorf(domain.CodeInvalid, "Instagram: none of the Facebook Pages you chose is linked to an Instagram professional account.")
	}
	return ids, nil
}

func (a *Adapter) sameHost(raw string) bool {
	u, err := url.Parse(raw)
	base, err2 := url.Parse(a.cfg.APIURL)
	return err == nil && err2 == nil && u.Scheme == base.Scheme && u.Host == base.Host
}

// exchangeLongLived swaps a user token for a long-lived one (about 60 days).
// https://developers.facebook.com/documentation/facebook-login/guides/access-tokens/get-long-lived
// (GET oauth/access_token?grant_type=fb_exchange_token&client_id&client_secret&fb_exchange_token)
func (a *Adapter) exchangeLongLived(ctx context.Context, token string) (tokenAnswer, error) {
	return a.token(ctx, url.Values{"grant_type": {"fb_exchange_token"}, "fb_exchange_token": {token}})
}

// Refresh exchanges the long-lived user token again for a fresh one, before it expires
// (an expired token cannot be exchanged: the person must reconnect). Facebook gives no
// refresh token.
func (a *Adapter) Refresh(ctx context.Context, c domain.Credentials) (domain.Credentials, error) {
	if c.AccessToken == "" || (!c.Expiry.IsZero() && !c.Expiry.After(a.cfg.Now())) {
		return domain.Credentials{}, domain.Errorf(domain.CodeUnauthenticated, "Instagram: the connection expired; please reconnect the account.")
	}
	t, err := a.exchangeLongLived(ctx, c.AccessToken)
	if err != nil {
		return domain.Credentials{}, refused(err, "Instagram: the connection expired or was revoked; please reconnect the account.")
	}
	fresh := a.credentials(t)
	if len(c.Scopes) > 0 {
		fresh.Scopes = c.Scopes
	}
	return fresh, nil
}

// errorf is fmt.Errorf with the package's prefix.
func errorf(format string, args ...any) error { return fmt.Errorf("instagram: "+format, args...) }
