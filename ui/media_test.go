package ui

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

// renderMedia renders like render, on a Herald with the media library, as user u1 with role.
func renderMedia(t *testing.T, name string, data any, role domain.Role) *goquery.Document {
	t.Helper()
	v := signedIn(data, time.UTC, role)
	v.Path, v.MediaLibrary = "/media", true
	return renderView(t, name, v)
}

var (
	photo = mediaTile{Media: domain.Media{ID: "m1", CompanyID: "c1", CreatedBy: "u1", Name: "team.jpg", MIMEType: domain.MIMEJPEG, Size: 2_516_582,
		Width: 1080, Height: 1350, Alt: "The team on the roof", HasThumb: true, Version: 2}, Thumb: "/media/files/t1/preview.jpg", File: "/media/files/f1/team.jpg"}
	clip = mediaTile{Media: domain.Media{ID: "m2", CompanyID: "c1", CreatedBy: "u2", Name: "launch.mp4", MIMEType: domain.MIMEMP4, Size: 700 << 10,
		Width: 1280, Height: 720, Duration: 7*time.Second + 400*time.Millisecond, Version: 1}, File: "/media/files/f2/launch.mp4"}
)

func TestMediaTile_FactsForPeople(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		n    int64
		want string
	}{{0, "0 KB"}, {1, "1 KB"}, {1024, "1 KB"}, {1025, "2 KB"}, {1 << 20, "1.0 MB"}, {2_516_582, "2.4 MB"}, {250 << 20, "250.0 MB"}, {2 << 30, "2.0 GB"}} {
		if got := fileSize(c.n); got != c.want {
			t.Errorf("fileSize(%d) = %q, want %q", c.n, got, c.want)
		}
	}
	long := clip
	long.Duration = time.Hour + 2*time.Minute + 3*time.Second
	for got, want := range map[string]string{photo.Facts(): "1080 × 1350", clip.Facts(): "0:07 · 1280 × 720", long.Length(): "1:02:03"} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

func TestTemplates_LibraryGridUploadZoneAndStorage(t *testing.T) {
	t.Parallel()
	page := libraryPage{Items: []mediaTile{photo, clip}, Next: "/media?cursor=x", Usage: app.StorageUsage{Used: 512 << 20, Quota: 2 << 30, MaxFile: 250 << 20},
		Uploader: uploader{ID: "library-upload", For: "library", MaxFile: 250 << 20, Company: "c1"}}
	doc := renderMedia(t, pageLibrary, page, domain.RoleEditor)

	if doc.Find(`nav a#nav-media[href="/media"][aria-current="page"]`).Length() != 1 {
		t.Error("no current Media link in the navigation")
	}
	tiles := doc.Find("#media-grid li.media-tile")
	if tiles.Length() != 2 {
		t.Fatalf("%d tiles, want 2", tiles.Length())
	}
	img := tiles.Eq(0).Find(`a[href="/media/m1"] img`)
	if img.AttrOr("src", "") != photo.Thumb || img.AttrOr("alt", "") != "The team on the roof" || !strings.Contains(text(tiles.Eq(0)), "1080 × 1350 · 2.4 MB") {
		t.Errorf("image tile: %q %v", text(tiles.Eq(0)), img.Nodes)
	}
	video := tiles.Eq(1)
	if video.AttrOr("data-kind", "") != "video" || video.Find("img").Length() != 0 || video.Find(".media-icon").Length() != 1 ||
		text(video.Find(".media-duration")) != "Video, 0:07" || !strings.Contains(text(video), "launch.mp4") {
		t.Errorf("a video without a poster shows no icon and duration: %q", text(video))
	}
	if doc.Find("#more-media").AttrOr("href", "") != "/media?cursor=x" {
		t.Error("no link to the next page")
	}
	bar := doc.Find("progress#storage-bar")
	if bar.AttrOr("value", "") != "536870912" || bar.AttrOr("max", "") != "2147483648" || text(doc.Find("#storage-text")) != "512.0 MB of 2.0 GB used" {
		t.Errorf("storage: %q value %q max %q", text(doc.Find("#storage-usage")), bar.AttrOr("value", ""), bar.AttrOr("max", ""))
	}
	zone := doc.Find("#library-upload[data-upload-zone]")
	if zone.AttrOr("data-endpoint", "") != "/api/v1/uploads" || zone.AttrOr("data-company", "") != "c1" || zone.AttrOr("data-csrf", "") != "tok" ||
		zone.AttrOr("data-tiles", "") != "/media/tiles" || zone.AttrOr("data-for", "") != "library" {
		t.Errorf("upload zone: %v", zone.Nodes)
	}
	// Without JavaScript the zone is a plain multipart form posting to the web app.
	form := zone.Find(`form[method="post"][action="/media"][enctype="multipart/form-data"]`)
	if form.Find(`input[type="file"][name="files"][multiple]`).Length() != 1 || form.Find(`input[name="_csrf"][value="tok"]`).Length() != 1 ||
		form.Find(`button[type="submit"]`).Length() != 1 || !strings.Contains(text(zone), "up to 250.0 MB each") {
		t.Errorf("plain upload form: %q", text(zone))
	}
	if doc.Find("[style]").Length() != 0 || doc.Find("main script").Length() != 0 {
		t.Error("inline style or script on the library page (the CSP forbids them)")
	}
	if doc.Find(`script[src="/static/media.js"]`).Length() != 1 || doc.Find(`script[src="/static/vendor/tus-js-client-4.3.1.min.js"]`).Length() != 1 {
		t.Error("the layout does not load media.js and tus-js-client")
	}

	// A viewer reads the library but uploads nothing.
	doc = renderMedia(t, pageLibrary, page, domain.RoleViewer)
	if doc.Find("[data-upload-zone], form[enctype]").Length() != 0 || doc.Find("#media-grid li").Length() != 2 {
		t.Error("a viewer is offered the upload zone, or sees no files")
	}
	// The plain form's refusals come back beside the file names.
	page.Upload = uploadResult{Stored: []string{"ok.png"}, Problems: []fileResult{{Name: "notes.txt", Problem: "This file type is not supported."}}}
	doc = renderMedia(t, pageLibrary, page, domain.RoleEditor)
	if got := text(doc.Find("#upload-error")); !strings.Contains(got, "Some files were not uploaded.") || !strings.Contains(got, "notes.txt: This file type is not supported.") ||
		!strings.Contains(got, "Uploaded: ok.png.") {
		t.Errorf("upload problems: %q", got)
	}
	doc = renderMedia(t, pageLibrary, libraryPage{Usage: page.Usage, Uploader: page.Uploader}, domain.RoleEditor)
	if doc.Find("#media-grid").Length() != 1 || doc.Find("#no-media").Length() != 1 {
		t.Error("an empty library has no grid for new tiles, or no note")
	}
}

func TestTemplates_MediaPageFollowsThePolicy(t *testing.T) {
	t.Parallel()
	uses := []domain.MediaUse{{PostID: "p1", Status: domain.PostScheduled, Excerpt: "Launch day", ScheduledFor: time.Date(2026, 12, 24, 9, 0, 0, 0, time.UTC)}}
	alt := newForm(map[string]string{"alt": photo.Alt, "version": "2"})
	for _, c := range []struct {
		role   domain.Role
		file   mediaTile
		change bool
	}{
		{domain.RoleEditor, photo, true},  // their own
		{domain.RoleEditor, clip, false},  // another's
		{domain.RoleAdmin, clip, true},    // anyone's
		{domain.RoleViewer, photo, false}, // reads only
	} {
		v := view{Allows: policyAllows(c.role), Actor: domain.Actor{UserID: "u1"}}
		page := mediaPage{File: c.file, Uses: uses, Alt: alt, CanChange: v.mayChange(c.file.Media), Blocked: true}
		if page.CanChange != c.change {
			t.Errorf("%s on %s: may change = %v, want %v", c.role, c.file.Name, page.CanChange, c.change)
		}
		doc := renderMedia(t, pageMedia, page, c.role)
		if got := doc.Find("#alt-form, #delete-media-form").Length(); (got == 2) != c.change || (got == 0) == c.change {
			t.Errorf("%s on %s: %d change forms", c.role, c.file.Name, got)
		}
		if link := doc.Find(`#media-use-list a[href="/posts/p1"]`); link.Length() != 1 || !strings.Contains(text(doc.Find("#media-use-list")), "scheduled") {
			t.Errorf("used-by list: %q", text(doc.Find("#media-uses")))
		}
	}
	doc := renderMedia(t, pageMedia, mediaPage{File: clip, Alt: newForm(map[string]string{"version": "1"}), CanChange: true}, domain.RoleAdmin)
	video := doc.Find("#media-preview video[controls]")
	if video.AttrOr("src", "") != clip.File || doc.Find("#media-unused").Length() != 1 || !strings.Contains(text(doc.Find("#media-facts")), "Duration0:07") {
		t.Errorf("video page: %q", text(doc.Find("main")))
	}
	if f := doc.Find(`#delete-media-form[method="post"][action="/media/m2/delete"][data-confirm]`); f.Length() != 1 {
		t.Error("delete is not a confirmed post form")
	}

	// A stale save keeps the typed text and says so.
	typed := newForm(map[string]string{"alt": "My </textarea> words", "version": "3"}).withError(domain.Errorf(domain.CodeStale, "stale"))
	typed.Message = "Someone changed this file's alt text while you were editing it."
	doc = renderMedia(t, pageMedia, mediaPage{File: photo, Alt: typed, CanChange: true}, domain.RoleEditor)
	if doc.Find("textarea#alt").Text() != "My </textarea> words" || doc.Find(`#alt-form input[name="version"]`).AttrOr("value", "") != "3" ||
		!strings.Contains(text(doc.Find("#alt-error")), "while you were editing") {
		t.Errorf("stale alt form: %q", text(doc.Find("#media-alt")))
	}
	doc = renderMedia(t, pageMedia, mediaPage{File: photo, Alt: alt, CanChange: true, Deletion: "team.jpg is used by a post that is yet to go out."}, domain.RoleEditor)
	if !strings.Contains(text(doc.Find("#delete-error")), "yet to go out") {
		t.Error("a refused delete does not say why")
	}
}

func composeWithMedia() (composePage, []domain.Account) {
	accounts := []domain.Account{{ID: "a1", Platform: domain.TikTok, DisplayName: "Acme Tok"}, {ID: "a2", Platform: domain.Sandbox, DisplayName: "Sandy"}}
	f := composeForm{Content: "Launch", MediaIDs: []domain.MediaID{"m2", "m1"}, Selected: map[domain.AccountID]bool{"a1": true, "a2": true},
		Order: []domain.AccountID{"a1", "a2"}, Variants: map[domain.AccountID]string{}, Errors: map[string]string{},
		OwnMedia: map[domain.AccountID]bool{"a1": true}, VariantMedia: map[domain.AccountID][]domain.MediaID{"a1": {"m2"}}}
	return composePage{Form: f, Groups: []accountGroup{{Platform: domain.TikTok, Accounts: accounts[:1]}, {Platform: domain.Sandbox, Accounts: accounts[1:]}},
		Rules: platformRulesBlob, Chosen: chosenMedia{Items: []mediaTile{clip, photo}},
		Uploader: uploader{ID: "compose-upload", For: "compose", MaxFile: 250 << 20, Company: "c1"}}, accounts
}

func TestTemplates_ComposeCarriesChosenMediaInOrder(t *testing.T) {
	t.Parallel()
	page, _ := composeWithMedia()
	doc := renderMedia(t, pageCompose, page, domain.RoleEditor)
	form := doc.Find("form#compose")
	var ids []string
	form.Find(`#chosen-media input[type="hidden"][name="media_ids"]`).Each(func(_ int, s *goquery.Selection) { ids = append(ids, s.AttrOr("value", "")) })
	if !slices.Equal(ids, []string{"m2", "m1"}) {
		t.Errorf("media_ids in the form = %v, want [m2 m1]", ids)
	}
	first := form.Find("#chosen-media li").First()
	for _, sel := range []string{`button[type="button"][data-move="-1"][aria-label="Move launch.mp4 left"]`, `button[data-move="1"][aria-label="Move launch.mp4 right"]`,
		`button[data-remove][aria-label="Remove launch.mp4 from the post"]`} {
		if first.Find(sel).Length() != 1 {
			t.Errorf("the first chosen file lacks %s", sel)
		}
	}
	if !strings.Contains(text(first), "No alt text.") || !strings.Contains(text(form.Find(`#chosen-media li[data-media-id="m1"]`)), "“The team on the roof”") {
		t.Errorf("alt text is not visible on the chosen files: %q", text(form.Find("#chosen-media")))
	}
	if doc.Find("#no-chosen[hidden]").Length() != 1 {
		t.Error("the empty note shows beside chosen files")
	}
	zone := form.Find("#compose-upload[data-upload-zone]")
	if zone.AttrOr("data-for", "") != "compose" || zone.Find("form").Length() != 0 || zone.Find(`input[type="file"][name]`).Length() != 0 {
		t.Error("the compose upload zone nests a form, or its file input would be sent with the post")
	}
	if b := form.Find(`#open-picker[type="button"][hx-get="/media/picker"][hx-target="#media-picker"]`); b.Length() != 1 {
		t.Error("no Choose from library button loading the picker")
	}
	// The address field stays, under a disclosure closed while empty.
	if d := form.Find("details#media-urls-details"); d.Find("textarea#media_urls").Length() != 1 || d.Find("summary").Text() != "Add by address" || d.AttrOr("open", "x") != "x" {
		t.Error("media_urls is not under a closed Add by address")
	}
	// An account with its own media: its box ticked, and its subset ticked among the post's files.
	own := form.Find(`[data-variant-media="a1"]`)
	if own.Find(`input[name="own_media"][value="a1"][checked]`).Length() != 1 || form.Find(`details[data-variant-for="a1"][open]`).Length() != 1 {
		t.Error("the account's own media is not shown as chosen")
	}
	var boxes []string
	own.Find(`input[name="variant_media_a1"]`).Each(func(_ int, s *goquery.Selection) {
		_, checked := s.Attr("checked")
		boxes = append(boxes, s.AttrOr("value", "")+map[bool]string{true: "+", false: "-"}[checked])
	})
	if !slices.Equal(boxes, []string{"m2+", "m1-"}) {
		t.Errorf("a1's boxes = %v, want [m2+ m1-]", boxes)
	}
	if form.Find(`[data-variant-media="a2"] input[name="own_media"][checked]`).Length() != 0 {
		t.Error("an account without its own media has the box ticked")
	}

	// Without the media library only the addresses remain, open.
	doc = render(t, pageCompose, page, time.UTC, domain.RoleEditor)
	if doc.Find("#compose-media, [data-variant-media]").Length() != 0 || doc.Find("details#media-urls-details[open]").Length() != 1 {
		t.Error("a Herald without media storage offers the library")
	}
}

func TestCheckCompose_CountsLibraryFilesByTheirKind(t *testing.T) {
	t.Parallel()
	page, accounts := composeWithMedia()
	library := map[domain.MediaID]domain.Media{"m1": photo.Media, "m2": clip.Media}
	// TikTok (a1) takes its own subset: the video alone, which it publishes.
	_, warnings := checkCompose(page.Form, accounts, library)
	if len(warnings) != 0 {
		t.Errorf("a video for TikTok warns: %+v", warnings)
	}
	// With the post's files (a video and an image), TikTok would refuse.
	f := page.Form
	f.OwnMedia = map[domain.AccountID]bool{}
	_, warnings = checkCompose(f, accounts, library)
	if len(warnings) != 1 || warnings[0].Account.ID != "a1" {
		t.Fatalf("warnings = %+v, want TikTok's", warnings)
	}
	// Without the library the same post counts no media at all.
	f.Content = ""
	_, warnings = checkCompose(f, accounts, nil)
	if len(warnings) != 2 || !strings.Contains(strings.Join(warnings[1].Problems, ";"), "is empty") {
		t.Errorf("no library: %+v", warnings)
	}
}

func TestComposeForm_MediaFromTheFormToThePost(t *testing.T) {
	t.Parallel()
	vals := url.Values{"content": {"Hi"}, "account_ids": {"a1", "a2"}, "media_ids": {"m3", "m1", "m2"},
		"own_media": {"a1", "a9"}, "variant_media_a1": {"m2", "m3"}, "variant_media_a9": {"m1"}, "action": {"draft"}}
	req := httptest.NewRequest(http.MethodPost, "/posts", strings.NewReader(vals.Encode()))
	req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationForm)
	f, err := parseCompose(echo.New().NewContext(req, httptest.NewRecorder()))
	if err != nil {
		t.Fatal(err)
	}
	in := f.input()
	if !slices.Equal(in.MediaIDs, []domain.MediaID{"m3", "m1", "m2"}) {
		t.Errorf("MediaIDs = %v", in.MediaIDs)
	}
	// a1's subset in the post's order; a9 is not ticked, so it is not sent.
	if len(in.VariantMedia) != 1 || !slices.Equal(in.VariantMedia["a1"], []domain.MediaID{"m3", "m2"}) {
		t.Errorf("VariantMedia = %v", in.VariantMedia)
	}
	if f.Blank() {
		t.Error("a form with files is blank")
	}
	// Own media with nothing ticked: the account takes no library file.
	f.VariantMedia["a1"] = nil
	if got := f.input().VariantMedia["a1"]; got == nil || len(got) != 0 {
		t.Errorf("own media with none ticked = %#v, want empty, not absent", got)
	}

	f = f.withError(&domain.Error{Code: domain.CodeInvalid, Message: "Please correct the highlighted fields.", Fields: map[string]string{
		"media_ids[1]": "is not in this company's media library", "variants.a1.media_ids[0]": "is a video; Instagram takes images only",
		"variants.a2.media_ids": "is for an account this post does not go to"}})
	if f.Errors["library"] != "file 2 is not in this company's media library" || f.VariantMediaError("a1") != "file 1 is a video; Instagram takes images only" ||
		f.VariantMediaError("a2") == "" || len(f.Others) != 0 {
		t.Errorf("errors placed: %v, others %v", f.Errors, f.Others)
	}

	const u1, u2 = domain.MediaID("0b6f6c1e-1111-4111-8111-111111111111"), domain.MediaID("0b6f6c1e-2222-4222-8222-222222222222")
	p, err := domain.NewPost("c1", "u1", domain.PostInput{Content: "x", AccountIDs: []domain.AccountID{"a1", "a2"}, MediaIDs: []domain.MediaID{u1, u2},
		VariantMedia: map[domain.AccountID][]domain.MediaID{"a2": {u2}}}, []domain.Account{{ID: "a1", Platform: domain.Sandbox}, {ID: "a2", Platform: domain.Sandbox}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	back := composeFromPost(p, time.UTC)
	if !slices.Equal(back.MediaIDs, []domain.MediaID{u1, u2}) || back.HasOwnMedia("a1") || !back.HasOwnMedia("a2") || !back.VariantHas("a2", u2) || back.VariantHas("a2", u1) {
		t.Errorf("edit form from the post: %+v", back)
	}
}

func TestTemplates_PostPageShowsItsFilesWithAlt(t *testing.T) {
	t.Parallel()
	accounts := []domain.Account{{ID: "a1", Platform: domain.Sandbox, DisplayName: "Sandy"}, {ID: "a2", Platform: domain.Sandbox, DisplayName: "Other"}}
	img, vid := photo, clip
	img.ID, vid.ID = "0b6f6c1e-1111-4111-8111-111111111111", "0b6f6c1e-2222-4222-8222-222222222222"
	p, err := domain.NewPost("c1", "u1", domain.PostInput{Content: "x", AccountIDs: []domain.AccountID{"a1", "a2"}, MediaIDs: []domain.MediaID{vid.ID, img.ID},
		VariantMedia: map[domain.AccountID][]domain.MediaID{"a2": {img.ID}}}, accounts, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	p.ID = "p1"
	names := accountNames{"a1": accounts[0], "a2": accounts[1]}
	doc := renderMedia(t, pagePost, postPage{Post: p, Names: names, Files: map[domain.MediaID]mediaTile{img.ID: img, vid.ID: vid}}, domain.RoleEditor)
	var order []string
	doc.Find("#post-library-media li").Each(func(_ int, s *goquery.Selection) { order = append(order, s.AttrOr("data-media-id", "")) })
	if !slices.Equal(order, []string{string(vid.ID), string(img.ID)}) {
		t.Errorf("post media order = %v", order)
	}
	if el := doc.Find(`#post-library-media li[data-media-id="` + string(img.ID) + `"] img`); el.AttrOr("alt", "") != photo.Alt || el.AttrOr("src", "") != photo.Thumb ||
		!strings.Contains(text(doc.Find(`#post-library-media li[data-media-id="`+string(img.ID)+`"] figcaption`)), photo.Alt) {
		t.Error("the photo shows without its alt text")
	}
	own := doc.Find(`.target-media[data-account="a2"]`)
	if !strings.Contains(text(own), "On Other") || own.Find(`li[data-media-id="`+string(img.ID)+`"]`).Length() != 1 || own.Find("li").Length() != 1 || doc.Find(`.target-media[data-account="a1"]`).Length() != 0 {
		t.Errorf("per-account files: %q", text(doc.Find(".post-media-files")))
	}
}

func TestTemplates_SettingsShowStorage(t *testing.T) {
	t.Parallel()
	st := app.StorageUsage{Used: 3 << 20, Quota: 2 << 30, MaxFile: 250 << 20}
	doc := renderMedia(t, pageSettings, settingsPage{Voice: newForm(nil), Configured: true, Storage: &st}, domain.RoleViewer)
	if got := text(doc.Find("#plan-storage")); got != "3.0 MB of 2.0 GB" || text(doc.Find("#plan-max-file")) != "250.0 MB" ||
		doc.Find("progress#plan-storage-bar").AttrOr("max", "") != "2147483648" {
		t.Errorf("storage on the settings page: %q / %q", got, text(doc.Find("#plan-max-file")))
	}
	doc = renderMedia(t, pageSettings, settingsPage{Voice: newForm(nil), Configured: true}, domain.RoleViewer)
	if doc.Find("#plan-storage").Length() != 0 {
		t.Error("storage shown without a media library")
	}
}

func TestTemplates_PickerSearchesWithoutReplacingItsField(t *testing.T) {
	t.Parallel()
	doc := renderMedia(t, partPicker, pickerPage{Items: []mediaTile{photo, clip}, Query: "team", Next: "/media/picker?cursor=x&q=team"}, domain.RoleEditor)
	q := doc.Find("input#picker-q[data-picker-search]")
	if q.AttrOr("hx-target", "") != "#picker-results" || q.AttrOr("hx-select", "") != "#picker-results" || q.AttrOr("value", "") != "team" ||
		q.AttrOr("form", "") == "" || doc.Find("#picker-results input, #picker-results select").Length() != 0 {
		t.Error("the search field is replaced by its own results, or would be sent with the post")
	}
	if doc.Find(`#picker-results button[data-pick="m1"][type="button"][aria-pressed="false"]`).Length() != 1 || doc.Find("#picker-results [data-pick]").Length() != 2 {
		t.Error("picker items are not buttons naming their files")
	}
	if doc.Find(`#picker-results button[hx-get="/media/picker?cursor=x&q=team"]`).Length() != 1 {
		t.Error("no next page in the picker")
	}
}
