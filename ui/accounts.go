package ui

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/domain"
)

// accountsPage lists the company's connected accounts and the platforms that can be
// connected.
type accountsPage struct {
	Accounts  []domain.Account
	Platforms []domain.Platform
	Notice    notice
	ReturnTo  string
	ToFail    map[domain.AccountID]int // scheduled posts that disconnecting an account fails
	// Failed counts the posts that failed on each account; Reconnected is set right after
	// a connect flow brought accounts back, when retrying them is offered.
	Failed      map[domain.AccountID]int
	Reconnected bool
	Now         time.Time
}

// RetryOffered reports whether the page offers to retry a's failed posts: right after a
// reconnect, for an active account with posts that failed on it.
func (p accountsPage) RetryOffered(a domain.Account) bool {
	return p.Reconnected && a.Status == domain.AccountActive && p.Failed[a.ID] > 0
}

// AccessCountdown says when Herald's access to a ends unless someone reconnects it
// ("Access ends in 12 days — reconnect before then"), or "" when Herald renews it.
func (p accountsPage) AccessCountdown(a domain.Account) string {
	end := a.AccessEndsAt()
	if end.IsZero() {
		return ""
	}
	left := end.Sub(p.Now)
	switch {
	case left <= 0:
		return "Access ended — reconnect the account to publish to it again"
	case left < 24*time.Hour:
		h := int(left.Hours())
		if h < 1 {
			return "Access ends within the hour — reconnect now"
		}
		return "Access ends in " + plural(h, "hour") + " — reconnect before then"
	}
	return "Access ends in " + plural(int(left.Hours()/24), "day") + " — reconnect before then"
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

// DisconnectConfirmation is the question asked before disconnecting a, with how many
// scheduled posts will fail on it.
func (p accountsPage) DisconnectConfirmation(a domain.Account) string {
	q := "Disconnect " + a.DisplayName + " (" + a.Platform.Title() + ")? Herald erases its tokens. "
	switch n := p.ToFail[a.ID]; n {
	case 0:
		return q + "No scheduled post goes to it."
	case 1:
		return q + "1 scheduled post will fail on it."
	default:
		return q + strconv.Itoa(n) + " scheduled posts will fail on it."
	}
}

// notice is a message about the outcome of a connect flow, chosen from the redirect's
// query; never text taken from the query itself.
type notice struct {
	Text  string
	Error bool
}

// connectErrors are the sentences for the codes the OAuth callback sends back in
// ?connect_error=.
var connectErrors = map[string]string{
	"other_user":  "This connection was started by someone else signed in to Herald, so nothing was connected. Sign in as the person who started it, or start connecting again.",
	"denied":      "You did not allow Herald to use that account, so nothing was connected.",
	"expired":     "The connection link expired or was already used, so nothing was connected. Please start connecting again.",
	"refused":     "The platform refused the connection, so nothing was connected. Please try again, or check the account's settings on the platform.",
	"forbidden":   "Your role in this company does not allow connecting accounts (or you no longer belong to it), so nothing was connected.",
	"unavailable": "The platform could not be reached, so nothing was connected. Please try again in a few minutes.",
	"failed":      "Something went wrong while connecting, so nothing was connected. Please try again.",
	"plan_limit":  "The company's plan has no room for another social account, so nothing new was connected. Upgrade the plan or disconnect an account first.",
}

// connectNotice reads ?connected=<n> and ?connect_error=<code> as the callback leaves them.
func connectNotice(c echo.Context) notice {
	if code := c.QueryParam("connect_error"); code != "" {
		msg, ok := connectErrors[code]
		if !ok {
			msg = connectErrors["failed"]
		}
		if n, err := strconv.Atoi(c.QueryParam("connected")); code == "plan_limit" && err == nil && n > 0 {
			msg = "The company's plan had room for " + strconv.Itoa(n) + " of the accounts, so only those were connected. Upgrade the plan or disconnect an account to connect the others."
		}
		return notice{Text: msg, Error: true}
	}
	if n, err := strconv.Atoi(c.QueryParam("connected")); err == nil && n > 0 {
		if n == 1 {
			return notice{Text: "One account was connected. Herald can publish to it now."}
		}
		return notice{Text: strconv.Itoa(n) + " accounts were connected. Herald can publish to them now."}
	}
	if c.QueryParam("connected") != "" {
		return notice{Text: "The platform gave access to no account Herald can publish to, so nothing was connected.", Error: true}
	}
	return notice{}
}

// accounts handles GET /accounts.
func (h *Handler) accounts(c echo.Context) error {
	ctx, actor := c.Request().Context(), actorOf(c)
	as, err := h.Accounts.List(ctx, actor)
	if err != nil {
		return err
	}
	toFail, err := h.Accounts.PostsToFail(ctx, actor)
	if err != nil {
		return err
	}
	failed, err := h.Posts.FailedPerAccount(ctx, actor)
	if err != nil {
		return err
	}
	return h.page(c, http.StatusOK, pageAccounts, accountsPage{Accounts: as, Platforms: h.Accounts.Platforms(),
		Notice: connectNotice(c), ReturnTo: routePath("accounts"), ToFail: toFail, Failed: failed,
		Reconnected: c.QueryParam("connected") != "" && c.QueryParam("connected") != "0", Now: h.now()})
}

// retryFailed handles POST /accounts/:id/retry-failed: every post that failed on the
// account is sent again, each at its own time if still ahead, else now.
func (h *Handler) retryFailed(c echo.Context) error {
	ps, err := h.Posts.RetryFailed(c.Request().Context(), actorOf(c), domain.AccountID(c.Param("id")))
	if err != nil {
		return err
	}
	now, later := 0, 0
	for _, p := range ps {
		if p.Status() == domain.PostScheduled {
			later++
		} else {
			now++
		}
	}
	msg := "No post had failed on this account."
	if len(ps) > 0 {
		msg = plural(len(ps), "failed post") + " will be sent again: " + strconv.Itoa(now) + " now, " + strconv.Itoa(later) + " at their own time, still ahead."
	}
	h.flash(c, msg)
	return redirect(c, routePath("accounts"))
}

// connectAccount handles POST /accounts/connect/:platform: it starts the platform's consent
// flow and sends the browser there (303, or HX-Redirect for htmx, which cannot follow a
// redirect to another site). The callback brings the browser back to return_to.
func (h *Handler) connectAccount(c echo.Context) error {
	to, err := h.Accounts.Connect(c.Request().Context(), actorOf(c), c.Param("platform"), returnPath(c.FormValue("return_to")))
	if err != nil {
		return err
	}
	if c.Request().Header.Get(hxRequest) == "true" {
		c.Response().Header().Set(hxRedirect, to)
		return c.NoContent(http.StatusNoContent)
	}
	return c.Redirect(http.StatusSeeOther, to)
}

// returnPath keeps a return_to that is a path of this web app (domain.LocalPath), and
// the accounts page otherwise.
func returnPath(p string) string { return domain.LocalPathOr(p, routePath("accounts")) }

// disconnectAccount handles POST /accounts/:id/disconnect.
func (h *Handler) disconnectAccount(c echo.Context) error {
	if err := h.Accounts.Disconnect(c.Request().Context(), actorOf(c), domain.AccountID(c.Param("id"))); err != nil {
		return err
	}
	h.flash(c, "The account was disconnected and its tokens erased. Posts that were still to go out to it will not be published there.")
	return redirect(c, routePath("accounts"))
}
