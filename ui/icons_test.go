package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/heraldhq/herald/domain"
)

// TestIcon_VendoredSetsAreDecorativeInlineSVG: every vendored icon and platform logo
// renders as an inline SVG with class "icon", hidden from screen readers, without the
// file's own title or anything that could run; an unknown name is an error.
func TestIcon_VendoredSetsAreDecorativeInlineSVG(t *testing.T) {
	t.Parallel()
	all, err := icons()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) < 50 {
		t.Fatalf("%d icons, want the Lucide subset and the platform logos", len(all))
	}
	for _, p := range domain.Platforms {
		if _, ok := all["platform-"+string(p)]; !ok {
			t.Errorf("no logo for %s", p)
		}
	}
	for name, svg := range all {
		s := string(svg)
		if !strings.HasPrefix(s, `<svg class="icon" aria-hidden="true" focusable="false"`) || !strings.HasSuffix(s, "</svg>") || strings.Count(s, "<svg") != 1 {
			t.Errorf("%s: %.120s", name, s)
		}
		for _, bad := range []string{"<title", "<script", " onload=", " onclick=", "<!--", "<style"} {
			if strings.Contains(s, bad) {
				t.Errorf("%s contains %s", name, bad)
			}
		}
	}
	if _, err := icon("calendr"); err == nil {
		t.Error("an unknown icon name rendered")
	}
}

// TestAvatarOf_AccountsAndTargets: the avatar reads an account's or a target's name and
// platform, takes two initials, and refuses what is not an account.
func TestAvatarOf_AccountsAndTargets(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in             any
		name, initials string
		platform       domain.Platform
	}{
		{domain.Account{DisplayName: "Hedda Goods and Sons", Platform: domain.LinkedIn}, "Hedda Goods and Sons", "HG", domain.LinkedIn},
		{&domain.Account{DisplayName: "@north-desk", Platform: domain.Sandbox}, "@north-desk", "ND", domain.Sandbox},
		{targetLabel{Name: "ämma", Platform: domain.TikTok}, "ämma", "Ä", domain.TikTok},
		{targetLabel{Name: "✨✨", Platform: domain.Instagram}, "✨✨", "?", domain.Instagram},
		{domain.Account{Platform: domain.Facebook}, "Facebook account", "FA", domain.Facebook},
	} {
		got, err := avatarOf(c.in)
		if err != nil || got.Name != c.name || got.Initials != c.initials || got.Platform != c.platform {
			t.Errorf("avatarOf(%+v) = %+v, %v", c.in, got, err)
		}
	}
	for _, bad := range []any{"linkedin", nil, struct{ Name string }{"x"}} {
		if _, err := avatarOf(bad); err == nil {
			t.Errorf("avatarOf(%#v) did not fail", bad)
		}
	}
}

// TestLayout_SidebarGroupsTopBarAndPersonMenu: the navigation is a sidebar grouped Plan,
// Measure, Set up (Operate for superadmins), the links follow the viewer's permissions,
// the current page is marked, and the top bar has the company switcher and a person
// menu with the profile, the time zone and sign out; the page starts with a skip link.
func TestLayout_SidebarGroupsTopBarAndPersonMenu(t *testing.T) {
	t.Parallel()
	page := postsPage{Statuses: domain.PostStatuses, Platforms: domain.Platforms}
	v := signedIn(page, time.UTC, domain.RoleOwner)
	v.MediaLibrary = true
	v.Memberships = []domain.Membership{{CompanyID: "c1", CompanyName: "Acme"}, {CompanyID: "c2", CompanyName: "Beta"}}
	doc := renderView(t, pagePosts, v)

	if got := doc.Find("body > a.skip-link").AttrOr("href", ""); got != "#main" || doc.Find("main#main").Length() != 1 {
		t.Errorf("skip link to %q, main#main %d", got, doc.Find("main#main").Length())
	}
	groups := map[string][]string{}
	doc.Find("#site-menu ul.nav-group[aria-labelledby]").Each(func(_ int, ul *goquery.Selection) {
		heading := doc.Find("#" + ul.AttrOr("aria-labelledby", "")).Text()
		ul.Find("a").Each(func(_ int, a *goquery.Selection) {
			groups[heading] = append(groups[heading], strings.TrimSpace(a.Text()))
		})
	})
	want := map[string]string{"Plan": "Calendar,Posts,Queue,Review,Media,Snippets", "Measure": "Analytics", "Set up": "Accounts,Team,Settings,Webhooks,API tokens,Audit log"}
	for heading, links := range want {
		if got := strings.Join(groups[heading], ","); got != links {
			t.Errorf("group %s: %q, want %q", heading, got, links)
		}
	}
	if _, ok := groups["Operate"]; ok || doc.Find("#nav-jobs").Length() != 0 {
		t.Error("an owner sees the operator's links")
	}
	if got := doc.Find(`#site-menu a[aria-current="page"]`); got.Length() != 1 || got.AttrOr("href", "") != "/posts" {
		t.Errorf("current page marked on %d links (%s)", got.Length(), got.AttrOr("href", ""))
	}
	if doc.Find("#site-menu a .icon[aria-hidden=true]").Length() != doc.Find("#site-menu a").Length() {
		t.Error("a sidebar link has no decorative icon")
	}
	if doc.Find(`header.topbar #company-switcher select option`).Length() != 2 || doc.Find(`header.topbar #menu-button[aria-controls="site-menu"][aria-expanded="false"]`).Length() != 1 {
		t.Error("the top bar lacks the company switcher or the menu button")
	}
	menu := doc.Find("header.topbar details#person-menu")
	if menu.Find(`a[href="/profile"]`).Length() != 1 || menu.Find(`a[href="/profile#time-zone"]`).Length() != 1 ||
		menu.Find(`form[action="/logout"] button`).Length() != 1 || !strings.Contains(menu.Find("summary").Text(), "Ann") {
		t.Errorf("person menu: %q", menu.Text())
	}

	// A viewer without the media library, webhooks or audit rights sees none of those links;
	// a superadmin also gets the operator's group.
	v = signedIn(page, time.UTC, domain.RoleViewer)
	v.Session.User.IsSuperadmin = true
	doc = renderView(t, pagePosts, v)
	for _, id := range []string{"nav-media"} {
		if doc.Find("#"+id).Length() != 0 {
			t.Errorf("%s shown without the media library", id)
		}
	}
	if doc.Find(`#site-menu a[href="/webhooks"]`).Length() != 0 || doc.Find(`#site-menu a[href="/audit"]`).Length() != 0 {
		t.Error("a viewer sees the webhooks or audit link")
	}
	if doc.Find(`#site-menu #nav-operate`).Length() != 1 || doc.Find(`#nav-jobs[href="/admin/jobs"][hx-boost="false"]`).Length() != 1 {
		t.Error("a superadmin lacks the operator's links")
	}
}

// TestTemplates_AvatarsOnAccountsAndPosts: the accounts page and the posts list show an
// avatar per account, named for assistive technology, in the platform's colour class.
func TestTemplates_AvatarsOnAccountsAndPosts(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 23, 14, 5, 0, 0, time.UTC)
	doc := render(t, pageAccounts, accountsPage{Accounts: []domain.Account{{ID: "a1", Platform: domain.LinkedIn, DisplayName: "Acme Corp", Status: domain.AccountActive}},
		Platforms: []domain.Platform{domain.LinkedIn}, ReturnTo: "/accounts"}, time.UTC, domain.RoleAdmin)
	av := doc.Find(`#accounts tr[data-account="a1"] .avatar.platform-linkedin[role="img"]`)
	if av.AttrOr("aria-label", "") != "Acme Corp (LinkedIn)" || strings.TrimSpace(av.Find(".avatar-initials").Text()) != "AC" || av.Find(".avatar-badge svg.icon").Length() != 1 {
		t.Errorf("accounts avatar: %d, label %q", av.Length(), av.AttrOr("aria-label", ""))
	}
	if doc.Find(`#connect-buttons button .platform-icon svg`).Length() != 1 {
		t.Error("the connect button has no platform logo")
	}

	post := samplePost(t, domain.PostScheduled, at)
	names := accountNames{"a2": {ID: "a2", Platform: domain.Instagram, DisplayName: "acme.gram"}}
	doc = render(t, pagePosts, postsPage{Posts: []domain.Post{post}, Names: names, Statuses: domain.PostStatuses, Platforms: domain.Platforms}, time.UTC, domain.RoleEditor)
	if got := doc.Find(`#posts .post-avatars .avatar.platform-instagram`).AttrOr("aria-label", ""); got != "acme.gram (Instagram)" {
		t.Errorf("posts list avatar labelled %q", got)
	}
}

// TestTemplates_EmptyStatesSayWhatToDoNext: list pages without rows explain what goes
// there and offer the one button that helps.
func TestTemplates_EmptyStatesSayWhatToDoNext(t *testing.T) {
	t.Parallel()
	doc := render(t, pageAccounts, accountsPage{Platforms: []domain.Platform{domain.Sandbox}, ReturnTo: "/accounts"}, time.UTC, domain.RoleAdmin)
	if doc.Find(`#no-accounts h2`).Length() != 1 || doc.Find(`#no-accounts a[role="button"][href="#connect"]`).Length() != 1 {
		t.Errorf("accounts empty state: %q", doc.Find("#no-accounts").Text())
	}
	doc = render(t, pagePosts, postsPage{Statuses: domain.PostStatuses, Platforms: domain.Platforms, Filtered: true}, time.UTC, domain.RoleEditor)
	if doc.Find(`#no-posts a[role="button"][href="/posts"]`).Length() != 1 {
		t.Errorf("filtered posts empty state: %q", doc.Find("#no-posts").Text())
	}
}
