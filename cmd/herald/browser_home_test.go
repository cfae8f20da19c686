package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

// TestBrowser_HomeGuidesANewCompanyAndShowsWhatNeedsAttention opens the start page of a
// brand-new company (a welcome that says what to do first), then of the same company with
// scheduled, failed and unknown posts, published results and an account to reconnect, at
// desktop and phone sizes, and watches the live region follow a post that fails.
func TestBrowser_HomeGuidesANewCompanyAndShowsWhatNeedsAttention(t *testing.T) {
	t.Parallel()
	m := startHerald(t, app.Limits{})
	bg := context.Background()
	email := strings.ToLower(uniqueEmail("nadia"))
	reg, err := m.App.Auth.Register(bg, app.Registration{Email: email, Password: "correct horse battery", Name: "Nadia", Company: "Nadia Studio"}, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	owner := domain.Actor{UserID: reg.User.ID, CompanyID: reg.Company.ID, Role: domain.RoleOwner}
	exec := func(query string, args ...any) {
		t.Helper()
		if _, err := m.db.Pool().Exec(bg, query, args...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
	}

	ctx := chrome(t, 1440, 900)
	type css = chromedp.CSS
	step, eval := stepper(t, ctx), evaluator(t, ctx)
	sizes := []struct {
		name string
		w, h int64
	}{{"desktop", 1440, 900}, {"phone", 390, 844}}
	shots := func(name, wait string) {
		t.Helper()
		for _, size := range sizes {
			step(name+" "+size.name, chromedp.EmulateViewport(size.w, size.h), chromedp.Navigate(m.URL()+"/"), chromedp.WaitVisible(css(wait)))
			if out := eval(layoutJS + `("")`); out != "" {
				t.Errorf("%s %s: %s", name, size.name, out)
			}
			screenshot(t, ctx, name+"-"+size.name+".png")
		}
		step("desktop again", chromedp.EmulateViewport(1440, 900))
	}

	step("sign in",
		chromedp.Navigate(m.URL()+"/login"),
		chromedp.SendKeys(css(`form[action="/login"] #email`), email),
		chromedp.SendKeys(css(`form[action="/login"] #password`), "correct horse battery"),
		chromedp.Submit(css(`form[action="/login"] #password`)),
		chromedp.WaitVisible(css("#company-name")))
	shots("home-new", "#home-welcome")
	if got := eval(`document.querySelector("#home-first-step").getAttribute("href") + " " + document.querySelectorAll("#home-steps .home-step:not(.done)").length + " " + !!document.querySelector("#home-live")`); got != "/accounts 4 false" {
		t.Errorf("a new company's page: first step, steps left, live region = %q, want /accounts 4 false", got)
	}

	// Two sandbox accounts connected through the consent page, as a person does.
	for _, handle := range []string{"studio-north", "studio-south"} {
		step("connect "+handle,
			chromedp.Navigate(m.URL()+"/accounts"),
			chromedp.Click(css(`form[action="/accounts/connect/sandbox"] button`)),
			chromedp.WaitVisible(css(`button[name="decision"][value="allow"]`)),
			chromedp.SetValue(css("#handle"), handle),
			chromedp.Click(css(`button[name="decision"][value="allow"]`)),
			chromedp.WaitVisible(css("#accounts")))
	}
	accounts, err := m.App.Accounts.List(bg, owner)
	if err != nil || len(accounts) != 2 {
		t.Fatalf("accounts: %v, %v", accounts, err)
	}
	north, south := accounts[0], accounts[1]
	if strings.Contains(north.DisplayName, "south") {
		north, south = south, north
	}
	all := []domain.AccountID{north.ID, south.ID}
	now := time.Now()
	scheduled := func(content string, at time.Time, to ...domain.AccountID) domain.Post {
		t.Helper()
		p, err := m.App.Posts.CreateScheduled(bg, owner, domain.PostInput{Content: content, AccountIDs: to}, at)
		if err != nil {
			t.Fatalf("CreateScheduled: %v", err)
		}
		return p
	}
	draft := func(content string) domain.Post {
		t.Helper()
		p, err := m.App.Posts.Create(bg, owner, domain.PostInput{Content: content, AccountIDs: all})
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		return p
	}
	scheduled("Spring collection goes live tomorrow morning\nwith a second line the list leaves out", now.Add(26*time.Hour), all...)
	soon := scheduled("Behind the scenes at the studio", now.Add(3*time.Hour), north.ID)
	failed := draft("Winter sale: last call")
	exec(`UPDATE posts SET status = 'failed', status_reason = 'The platform refused the image: it is too large.', scheduled_for = $2 WHERE id = $1`, string(failed.ID), now.Add(-5*time.Hour))
	exec(`UPDATE post_targets SET status = 'failed', reason = 'The image is too large.' WHERE post_id = $1`, string(failed.ID))
	unknown := draft("Meet the team: Nadia, founder")
	exec(`UPDATE posts SET status = 'publishing', scheduled_for = $2 WHERE id = $1`, string(unknown.ID), now.Add(-2*time.Hour))
	exec(`UPDATE post_targets SET status = 'unknown', attempts = 1 WHERE post_id = $1 AND account_id = $2`, string(unknown.ID), string(south.ID))
	exec(`UPDATE post_targets SET status = 'published', published_at = $2 WHERE post_id = $1 AND account_id = $3`, string(unknown.ID), now.Add(-2*time.Hour), string(north.ID))
	for i, at := range []time.Duration{-30 * time.Hour, -50 * time.Hour, -9 * 24 * time.Hour} {
		p := draft([]string{"New studio opening", "Our favourite tools", "A look back"}[i])
		exec(`UPDATE posts SET status = 'published', scheduled_for = $2 WHERE id = $1`, string(p.ID), now.Add(at))
		exec(`UPDATE post_targets SET status = 'published', published_at = $2, likes = $3, comments = 4, shares = 2, impressions = $4 WHERE post_id = $1`,
			string(p.ID), now.Add(at), 20+10*i, 900+300*i)
	}
	exec(`UPDATE social_accounts SET status = 'reauth_required', status_reason = 'Sandbox revoked Herald''s access.' WHERE id = $1`, string(south.ID))

	shots("home-busy", "#home-live")
	got := eval(`[
		document.querySelectorAll("#home-upcoming [data-post]").length,
		document.querySelector("#home-upcoming [data-post]").getAttribute("data-post"),
		document.querySelectorAll("#home-attention [data-post]").length,
		document.querySelector('#home-attention [data-post="` + string(unknown.ID) + `"] .home-fix').textContent.trim().split(":")[0],
		document.querySelector('#home-attention [data-post="` + string(failed.ID) + `"] .home-fix').textContent.trim().split(":")[0],
		document.querySelectorAll('#home-reconnect [data-account="` + string(south.ID) + `"] form button').length,
		document.querySelector("#home-stat-posts .home-figure").textContent,
		!!document.querySelector("#home-welcome"),
	].join(" ")`)
	if want := "2 " + string(soon.ID) + " 2 Resolve Retry 1 3 false"; got != want {
		t.Errorf("the busy company's page = %q, want %q", got, want)
	}

	// Live: the post due soon fails; the region shows it needing attention without a reload.
	step("mark the page", chromedp.Evaluate[chromedp.Void](`document.body.dataset.loaded = "once"`))
	exec(`UPDATE posts SET status = 'failed', status_reason = 'Sandbox was down.', scheduled_for = $2 WHERE id = $1`, string(soon.ID), now.Add(-time.Minute))
	step("the failed post appears in Needs attention",
		chromedp.WaitVisible(css(`#home-attention [data-post="`+string(soon.ID)+`"]`)))
	if got := eval(`document.body.dataset.loaded + " " + document.querySelectorAll("#home-upcoming [data-post]").length`); got != "once 1" {
		t.Errorf("after the live change: %q, want the same page (once) with 1 upcoming post", got)
	}
	screenshot(t, ctx, "home-live-desktop.png")
}
