package domain

import (
	"fmt"
	"math"
	"time"
)

// RateWindow is the length of the JSON API's fixed rate-limit windows: counts start again
// at every full minute (UTC).
const RateWindow = time.Minute

// CallerRequestsPerMinute is the JSON API requests one caller may make in a minute outside
// any company: per token (or web session) on routes such as /auth/me, and per client
// address without credentials (registering, signing in, refused credentials).
const CallerRequestsPerMinute = 60

// RatePolicy is one quota the JSON API counts a request against: Limit requests per
// Window under Key. Name is the policy's name in the RateLimit headers ("token",
// "company", "caller").
type RatePolicy struct {
	Name   string
	Key    string
	Limit  int
	Window time.Duration
}

// RateCaller is who a JSON API request counts against. Token is the id of the bearer token
// or web session ("" without credentials, then IP counts); Company is the company the
// request acts in ("" outside one) with its Plan.
type RateCaller struct {
	Token   TokenID
	IP      string
	Company CompanyID
	Plan    Plan
}

// RatePolicies returns the quotas a request of c counts against, each limit multiplied by
// scale (at least 1 request). Acting in a company: the token's and the company's per-minute
// limits of its plan. Outside one: CallerRequestsPerMinute per token, or per address
// without a token. Keys never hold secrets: token ids, company ids and addresses.
func RatePolicies(c RateCaller, scale float64) []RatePolicy {
	scaled := func(n int) int { return max(1, int(math.Ceil(float64(n)*scale))) }
	if c.Company != "" {
		l := c.Plan.Limits()
		return []RatePolicy{
			{Name: "token", Key: "token:" + string(c.Token), Limit: scaled(l.APITokenRequestsPerMinute), Window: RateWindow},
			{Name: "company", Key: "company:" + string(c.Company), Limit: scaled(l.APIRequestsPerMinute), Window: RateWindow},
		}
	}
	if c.Token != "" {
		return []RatePolicy{{Name: "token", Key: "token:" + string(c.Token), Limit: scaled(CallerRequestsPerMinute), Window: RateWindow}}
	}
	return []RatePolicy{{Name: "caller", Key: "ip:" + c.IP, Limit: scaled(CallerRequestsPerMinute), Window: RateWindow}}
}

// RateQuota is a policy with Count, the requests counted in the current window, which
// ends after Reset.
type RateQuota struct {
	Policy RatePolicy
	Count  int
	Reset  time.Duration
}

// Remaining is how many more requests the quota allows in its window (never negative).
func (q RateQuota) Remaining() int { return max(0, q.Policy.Limit-q.Count) }

// RateError returns CodeRateLimited, with RetryAfter the longest wait (at least a second)
// until an exhausted quota's window ends, when any quota counted more requests than its
// limit; nil otherwise.
func RateError(quotas []RateQuota) error {
	var wait time.Duration
	var over *RatePolicy
	for i, q := range quotas {
		if q.Count > q.Policy.Limit && (over == nil || q.Reset > wait) {
			over, wait = &quotas[i].Policy, q.Reset
		}
	}
	if over == nil {
		return nil
	}
	secs := max(1, int(math.Ceil(wait.Seconds())))
	who := "this token"
	switch over.Name {
	case "company":
		who = "this company"
	case "caller":
		who = "this address"
	}
	return &Error{Code: CodeRateLimited, RetryAfter: time.Duration(secs) * time.Second, Message: fmt.Sprintf(
		"Too many requests: %s may make %s a minute. Try again in %d seconds.", who, plural(over.Limit, "request", "requests"), secs)}
}
