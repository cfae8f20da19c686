package httpapi

import (
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/domain"
)

// limitedKey marks a request the rate limiter has counted.
const limitedKey = "herald.rate_limited"

// The header fields of draft-ietf-httpapi-ratelimit-headers-10: RateLimit-Policy, a
// Structured Fields List of quoted policy names with q, the quota, and w, the window in
// seconds; RateLimit, the same names with r, the remaining quota, and t, the seconds until
// the window ends. https://datatracker.ietf.org/doc/draft-ietf-httpapi-ratelimit-headers/10/
const (
	headerRateLimit       = "RateLimit"
	headerRateLimitPolicy = "RateLimit-Policy"
)

// limit counts the request against its caller's quotas once the caller is known: the token
// (after authenticate), the company (after inCompany), or else the client address. It
// answers 429 with Retry-After past a limit, and writes the RateLimit fields either way.
func (a *API) limit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !a.limiter.Enabled() {
			return next(c)
		}
		c.Set(limitedKey, true)
		caller := domain.RateCaller{IP: c.RealIP()}
		if s, ok := c.Get(sessionKey).(domain.Session); ok {
			caller.Token = s.Token.ID
		}
		if ac, ok := c.Get(actorKey).(domain.Actor); ok && ac.CompanyID != "" {
			caller.Company, caller.Plan = ac.CompanyID, ac.Plan
		}
		if err := a.countRequest(c, caller); err != nil {
			return err
		}
		return next(c)
	}
}

// limitRefused, outermost on /api/v1, counts the requests that ended before reaching limit
// (refused credentials, not a member of the company, an unknown address) against the client
// address, so guessing tokens is limited too and every answer has the RateLimit fields.
func (a *API) limitRefused(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		err := next(c)
		if !a.limiter.Enabled() || c.Get(limitedKey) != nil || c.Response().Committed {
			return err
		}
		if lerr := a.countRequest(c, domain.RateCaller{IP: c.RealIP()}); lerr != nil {
			return lerr
		}
		return err
	}
}

// countRequest counts one request of caller, writes the RateLimit fields and returns the
// limiter's CodeRateLimited past a limit. When the limiter cannot count (the database is
// down) only RateLimit-Policy is written: the remaining quota is unknown.
func (a *API) countRequest(c echo.Context, caller domain.RateCaller) error {
	quotas, err := a.limiter.Allow(c.Request().Context(), caller)
	h := c.Response().Header()
	var policy, state []string
	for _, p := range a.limiter.Policies(caller) {
		policy = append(policy, strconv.Quote(p.Name)+";q="+strconv.Itoa(p.Limit)+";w="+strconv.Itoa(int(p.Window.Seconds())))
	}
	for _, q := range quotas {
		t := int(q.Reset.Seconds()) // a whole second still to wait rounds up
		if q.Reset > 0 && q.Reset%1e9 != 0 {
			t++
		}
		state = append(state, strconv.Quote(q.Policy.Name)+";r="+strconv.Itoa(q.Remaining())+";t="+strconv.Itoa(t))
	}
	h.Set(headerRateLimitPolicy, strings.Join(policy, ", "))
	if len(state) > 0 {
		h.Set(headerRateLimit, strings.Join(state, ", "))
	}
	return err
}
