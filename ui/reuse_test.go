package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

func TestSnippetsPage_FormsByRoleAndTheTypedEditKept(t *testing.T) {
	t.Parallel()
	snippets := []domain.Snippet{{ID: "s1", Name: "Launch tags", Content: "#launch", Version: 3}, {ID: "s2", Name: "Sign-off", Content: "Thanks", Version: 1}}
	edit := newForm(map[string]string{"name": "Sign-off", "content": "", "version": "1"}).withError(domain.InvalidField("content", "is empty"))
	doc := renderView(t, pageSnippets, signedIn(snippetsPage{Snippets: snippets, New: newForm(nil), Editing: "s2", Edit: edit}, time.UTC, domain.RoleEditor))
	if n := doc.Find("#snippets .snippet-card").Length(); n != 2 {
		t.Fatalf("%d snippet cards, want 2", n)
	}
	if v, _ := doc.Find(`form[action="/snippets/s1"] input[name="version"]`).Attr("value"); v != "3" {
		t.Errorf("the first snippet's form carries version %q, want 3", v)
	}
	if _, open := doc.Find(`#snippet-s2 details.snippet-edit`).Attr("open"); !open || doc.Find("#snippet-content-s2-error").Text() != "The text is empty" {
		t.Errorf("the refused edit is not kept open with its problem: %q", doc.Find("#snippet-content-s2-error").Text())
	}
	if doc.Find("#save-snippet").Length() != 1 || doc.Find(`form[action="/snippets/s1/delete"]`).Length() != 1 {
		t.Error("an editor gets no new-snippet or delete form")
	}
	viewer := renderView(t, pageSnippets, signedIn(snippetsPage{Snippets: snippets, New: newForm(nil)}, time.UTC, domain.RoleViewer))
	if viewer.Find("form").FilterFunction(func(_ int, s *goquery.Selection) bool {
		a, _ := s.Attr("action")
		return strings.HasPrefix(a, "/snippets")
	}).Length() != 0 {
		t.Error("a viewer is offered snippet forms")
	}
	if viewer.Find("#snippets .snippet-card").Length() != 2 {
		t.Error("a viewer does not see the snippets")
	}
}

func TestInsertSnippetPartial_ListsTheTextToCopyWithoutJavaScript(t *testing.T) {
	t.Parallel()
	doc := renderView(t, partInsert, signedIn([]domain.Snippet{{ID: "s1", Name: "Tags", Content: "#a #b"}}, time.UTC, domain.RoleEditor))
	if doc.Find("[data-snippet-content]").Text() != "#a #b" {
		t.Errorf("the snippet's text is not shown: %q", doc.Find("[data-snippet-content]").Text())
	}
	if _, hidden := doc.Find("[data-snippet-insert]").Attr("hidden"); !hidden {
		t.Error("the Insert button, which needs JavaScript, is not hidden until reuse.js runs")
	}
	empty := renderView(t, partInsert, signedIn([]domain.Snippet(nil), time.UTC, domain.RoleEditor))
	if empty.Find("#no-snippets").Length() != 1 || empty.Find(`a[href="/snippets"]`).Length() != 1 {
		t.Error("no snippets: no hint and no link to the Snippets page")
	}
}

func TestDuplicateNotice_NamesWhatWasLeftOut(t *testing.T) {
	t.Parallel()
	got := duplicateNotice(app.Duplicated{DroppedAccounts: []domain.Account{{DisplayName: "Acme Page", Platform: domain.Facebook}}, DroppedMedia: []domain.MediaID{"m1", "m2"}})
	for _, want := range []string{"new draft", "Acme Page (Facebook)", "2 files"} {
		if !strings.Contains(got, want) {
			t.Errorf("notice %q does not say %q", got, want)
		}
	}
}

func TestPostsPage_LabelFilterKeepsStatusAndChips(t *testing.T) {
	t.Parallel()
	page := postsPage{Status: domain.PostDraft, Label: "spring launch", Labels: []ports.LabelCount{{Label: "Spring launch", Posts: 2}, {Label: "Hiring", Posts: 1}},
		Statuses: domain.PostStatuses, Platforms: domain.Platforms, Filtered: true}
	if got := page.StatusLink(domain.PostScheduled); got != "/posts?label=spring+launch&status=scheduled" {
		t.Errorf("StatusLink = %q, want the label kept", got)
	}
	doc := renderView(t, pagePosts, signedIn(page, time.UTC, domain.RoleEditor))
	if v, _ := doc.Find(`#label-filter option[selected]`).Attr("value"); v != "Spring launch" {
		t.Errorf("the selected label is %q", v)
	}
	if v, _ := doc.Find(`#post-filters input[name="status"]`).Attr("value"); v != "draft" {
		t.Errorf("the filter form does not keep the status: %q", v)
	}
}
