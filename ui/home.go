package ui

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

// homePage is the start page: the company's app.Start (nil without a company) and the
// form that creates another company.
type homePage struct {
	Form  form
	Start *app.Start
	Names accountNames
	Steps []homeStep // the steps the viewer can take, done or not
	Live  string     // the fingerprint of the live region, for its event stream
}

// homeStep is one step of the checklist as the page shows it.
type homeStep struct {
	Key    app.StepKey
	Done   bool
	Title  string
	Text   string
	Link   string // where the step is taken
	Action string // the link's words
	// Extra is a second place the step is taken ("" when there is none), with its words.
	Extra, ExtraAction string
}

// home handles GET /: the start page of the current company (a welcome without one).
func (h *Handler) home(c echo.Context) error {
	return h.renderHome(c, http.StatusOK, newForm(nil))
}

// renderHome renders the start page with f as the form that creates a company.
func (h *Handler) renderHome(c echo.Context, status int, f form) error {
	page := homePage{Form: f}
	actor := actorOf(c)
	if actor.CompanyID != "" {
		s, err := h.Home.Start(c.Request().Context(), actor)
		if err != nil {
			return err
		}
		page.Start = &s
		page.Names = accountNames{}
		for _, a := range s.Accounts {
			page.Names[a.ID] = a
		}
		page.Steps = homeSteps(s)
		page.Live = homeFingerprint(s)
	}
	return h.page(c, status, pageHome, page)
}

// homeEvents handles GET /home/events?since=<fingerprint>: the start page's stream, which
// announces a change of its upcoming posts or of those needing attention.
func (h *Handler) homeEvents(c echo.Context) error {
	actor := actorOf(c)
	return h.stream(c, actor.CompanyID, c.QueryParam("since"), func(ctx context.Context) (string, error) {
		s, err := h.Home.Start(ctx, actor)
		if err != nil {
			return "", err
		}
		return homeFingerprint(s), nil
	})
}

// homeFingerprint changes whenever the start page's live region would show something else.
func homeFingerprint(s app.Start) string {
	f := sha256.New()
	fmt.Fprintf(f, "%t|%t", s.MoreUpcoming, s.MoreAttention)
	for _, p := range s.Upcoming {
		writePost(f, p)
	}
	fmt.Fprint(f, "|attention")
	for _, p := range s.Attention {
		writePost(f, p)
	}
	return sum(f)
}

// homeSteps returns the checklist steps the viewer's role can take, in order. The time
// zone step also links the queue page when this Herald has one.
func homeSteps(s app.Start) []homeStep {
	var out []homeStep
	for _, st := range s.Steps {
		if !st.CanAct {
			continue
		}
		hs := homeStep{Key: st.Key, Done: st.Done}
		switch st.Key {
		case app.StepConnectAccount:
			hs.Title, hs.Action, hs.Link = "Connect a social account", "Connect an account", routePath("accounts")
			hs.Text = "Herald publishes to the accounts you connect: LinkedIn, Instagram, Facebook, TikTok, or the sandbox to try everything without one."
		case app.StepFirstPost:
			hs.Title, hs.Action, hs.Link = "Write your first post", "Write a post", routePath("post.new")
			hs.Text = "Write once, choose the accounts, then save a draft, schedule it, or publish it now."
		case app.StepInviteTeammate:
			hs.Title, hs.Action, hs.Link = "Invite a teammate", "Invite someone", routePath("team")
			hs.Text = "Editors write and schedule, viewers follow along, admins manage accounts."
		case app.StepTimeZone:
			hs.Title, hs.Action, hs.Link = "Set the company's time zone", "Choose the time zone", routePath("settings")+"#zone-form"
			hs.Text = "Days in analytics, and queue times, count in the company's time zone."
			hs.Extra, hs.ExtraAction = routePath("queue"), "Set the queue times"
		default:
			continue
		}
		out = append(out, hs)
	}
	return out
}

// Problem says, in a few words, why a post needs attention.
func (p homePage) Problem(post domain.Post) string {
	for _, t := range post.Targets {
		if t.Status() == domain.TargetUnknown {
			return fmt.Sprintf("Herald cannot tell whether it reached %s", p.Names.Name(t.AccountID))
		}
	}
	if post.Status() == domain.PostPartiallyPublished {
		var failed []string
		for _, t := range post.Targets {
			if t.Status() == domain.TargetFailed {
				failed = append(failed, p.Names.Name(t.AccountID))
			}
		}
		if len(failed) == 1 {
			return "It did not reach " + failed[0]
		}
		return fmt.Sprintf("It did not reach %d of its accounts", len(failed))
	}
	if r := post.Reason(); r != "" {
		return r
	}
	return "Publishing failed"
}

// Fix returns the words of the one action that fixes the post: resolve an unknown
// target, or retry a failed post.
func (p homePage) Fix(post domain.Post) string {
	for _, t := range post.Targets {
		if t.Status() == domain.TargetUnknown {
			return "Resolve"
		}
	}
	return "Retry"
}

// homeStat is one figure of the last seven days beside the seven before.
type homeStat struct {
	Key, Label  string
	Now, Before int64
}

// Stats returns the figures of the results section: posts published, impressions and
// engagement (likes, comments and shares). None without results.
func (p homePage) Stats() []homeStat {
	if p.Start == nil || p.Start.Results == nil {
		return nil
	}
	r := p.Start.Results
	return []homeStat{
		{Key: "posts", Label: "Posts published", Now: int64(r.Posts), Before: int64(r.PreviousPosts)},
		{Key: "impressions", Label: "Impressions", Now: r.Totals.Impressions, Before: r.Previous.Impressions},
		{Key: "engagement", Label: "Engagement", Now: r.Engagement(), Before: r.PreviousEngagement()},
	}
}

// Change compares the figure with the seven days before, in words.
func (s homeStat) Change() string {
	switch {
	case s.Now == s.Before:
		return "same as the 7 days before"
	case s.Before == 0:
		return "up from none the 7 days before"
	}
	pct := (s.Now - s.Before) * 100 / s.Before
	if s.Now > s.Before {
		return fmt.Sprintf("+%d%% on the 7 days before (%s)", pct, thousands64(s.Before))
	}
	return fmt.Sprintf("−%d%% on the 7 days before (%s)", -pct, thousands64(s.Before))
}

// Trend is "up", "down" or "flat", for the colour of the change.
func (s homeStat) Trend() string {
	switch {
	case s.Now > s.Before:
		return "up"
	case s.Now < s.Before:
		return "down"
	}
	return "flat"
}

// FirstLine is the start of a post's first line of text, for a list.
func (homePage) FirstLine(content string) string {
	for _, line := range strings.Split(content, "\n") {
		if strings.TrimSpace(line) != "" {
			return domain.Excerpt(line, 90)
		}
	}
	return ""
}
