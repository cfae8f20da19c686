package ui

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

// mediaPageSize is how many files the library shows at once: four rows of six tiles.
const mediaPageSize = 24

// maxTiles bounds the ids one tiles request names (a compose page adds files one by one).
const maxTiles = domain.MaxMediaURLs

// mediaTile is one library file as the pages show it: its record with the signed
// addresses of its preview and bytes, which only the handler can make.
type mediaTile struct {
	domain.Media
	Thumb string // the preview's signed address; "" when the file has none
	File  string // the bytes' signed address
}

// IsVideo reports whether the file is a video.
func (t mediaTile) IsVideo() bool { return t.Kind() == domain.MediaVideo }

// SizeText is the file's size for people ("2.4 MB").
func (t mediaTile) SizeText() string { return fileSize(t.Size) }

// Pixels is the picture's size ("1080 × 1350").
func (t mediaTile) Pixels() string { return fmt.Sprintf("%d × %d", t.Width, t.Height) }

// Length is a video's duration as a clock shows it ("0:07", "1:02:03").
func (t mediaTile) Length() string {
	d := t.Duration.Round(time.Second)
	h, m, s := int(d/time.Hour), int(d%time.Hour/time.Minute), int(d%time.Minute/time.Second)
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, s)
	}
	return fmt.Sprintf("%d:%02d", m, s)
}

// Facts is the one line under a tile: pixels for an image, length and pixels for a video.
func (t mediaTile) Facts() string {
	if t.IsVideo() {
		return t.Length() + " · " + t.Pixels()
	}
	return t.Pixels()
}

// fileSize writes n bytes for people: "512 KB", "2.4 MB", "1.0 GB".
func fileSize(n int64) string {
	switch {
	case n >= 1<<30:
		return strconv.FormatFloat(float64(n)/(1<<30), 'f', 1, 64) + " GB"
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MB"
	}
	return strconv.FormatInt((n+1023)/1024, 10) + " KB"
}

func (h *Handler) tile(m domain.Media) mediaTile {
	return mediaTile{Media: m, Thumb: h.Media.ThumbURL(m), File: h.Media.URL(m)}
}

func (h *Handler) tiles(ms []domain.Media) []mediaTile {
	out := make([]mediaTile, len(ms))
	for i, m := range ms {
		out[i] = h.tile(m)
	}
	return out
}

// mayChange reports whether the viewer may change or delete m: their own file with the
// media permission, anyone's with the library permission. A display hint: app.Media
// checks for real.
func (v view) mayChange(m domain.Media) bool {
	if v.may(domain.ResourceLibrary, domain.ActionWrite) {
		return true
	}
	return v.may(domain.ResourceMedia, domain.ActionWrite) && m.CreatedBy != "" && m.CreatedBy == v.Actor.UserID
}

// CanReadMedia is a display hint for the media library's link.
func (v view) CanReadMedia() bool {
	return v.MediaLibrary && v.may(domain.ResourceMedia, domain.ActionRead)
}

// CanUploadMedia is a display hint for the upload zones.
func (v view) CanUploadMedia() bool {
	return v.MediaLibrary && v.may(domain.ResourceMedia, domain.ActionWrite)
}

// uploader is what the upload zone needs to send files: the resumable-upload endpoint of the
// JSON API (tus), the company the files go to, and the page's fragment of new tiles.
type uploader struct {
	ID      string // the zone's element id
	For     string // "library" or "compose": what a stored file becomes on the page
	MaxFile int64  // the plan's largest file
	Company domain.CompanyID
}

// MaxFileText is the largest file in words.
func (u uploader) MaxFileText() string { return fileSize(u.MaxFile) }

// libraryPage is one page of the media library.
type libraryPage struct {
	Items    []mediaTile
	Query    string
	Kind     domain.MediaKind // "" for every kind
	Next     string           // the next page's address; "" on the last
	Filtered bool
	Usage    app.StorageUsage
	Uploader uploader
	Upload   uploadResult // the plain form's outcome, when it comes back with problems
}

// UsedPercent is the share of the quota the library takes, for the bar's text.
func (p libraryPage) UsedPercent() int {
	if p.Usage.Quota <= 0 {
		return 0
	}
	return int(min(100, p.Usage.Used*100/p.Usage.Quota))
}

// uploadResult is what the plain (no JavaScript) upload form did to each file.
type uploadResult struct {
	Stored   []string     // names of the files stored
	Problems []fileResult // files refused, each with the reason
}

type fileResult struct {
	Name, Problem string
}

// mediaLibrary handles GET /media: the company's files, newest first, searched by name
// (q) and filtered by type, with the upload zone and the storage used.
func (h *Handler) mediaLibrary(c echo.Context) error {
	return h.renderLibrary(c, http.StatusOK, uploadResult{})
}

func (h *Handler) renderLibrary(c echo.Context, st int, up uploadResult) error {
	if !h.Media.Enabled() {
		return app.ErrNoMediaLibrary
	}
	ctx, actor := c.Request().Context(), actorOf(c)
	f := domain.MediaFilter{Query: strings.TrimSpace(c.QueryParam("q")), Kind: mediaKindParam(c.QueryParam("type"))}
	page, err := app.Page(mediaPageSize, c.QueryParam("cursor"), true)
	if err != nil {
		return err
	}
	ms, next, err := h.Media.List(ctx, actor, f, page)
	if err != nil {
		return err
	}
	usage, err := h.Media.Usage(ctx, actor)
	if err != nil {
		return err
	}
	p := libraryPage{Items: h.tiles(ms), Query: f.Query, Kind: f.Kind, Usage: usage, Upload: up,
		Filtered: f != (domain.MediaFilter{}) || c.QueryParam("cursor") != "",
		Uploader: uploader{ID: "library-upload", For: "library", MaxFile: usage.MaxFile, Company: actor.CompanyID}}
	if next != "" {
		p.Next = libraryLink(f, next)
	}
	return h.page(c, st, pageLibrary, p)
}

// mediaKindParam reads the type filter; anything but image or video shows every file.
func mediaKindParam(s string) domain.MediaKind {
	switch k := domain.MediaKind(s); k {
	case domain.MediaImage, domain.MediaVideo:
		return k
	}
	return ""
}

func libraryLink(f domain.MediaFilter, cursor string) string {
	q := url.Values{}
	if f.Query != "" {
		q.Set("q", f.Query)
	}
	if f.Kind != "" {
		q.Set("type", string(f.Kind))
	}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	if len(q) == 0 {
		return routePath("media.library")
	}
	return routePath("media.library") + "?" + q.Encode()
}

// uploadMedia handles POST /media, the library's plain upload form for browsers without
// JavaScript (with it, media.js sends files through the resumable-upload API instead). Each
// file is stored or refused on its own; refusals come back beside their names.
func (h *Handler) uploadMedia(c echo.Context) error {
	if !h.Media.Enabled() {
		return app.ErrNoMediaLibrary
	}
	ctx, actor := c.Request().Context(), actorOf(c)
	// Who may upload (role, a suspended company) is answered before the files are looked at.
	if err := h.Media.CheckUpload(ctx, actor, 0); err != nil {
		return err
	}
	mf, err := c.MultipartForm()
	if err != nil {
		return domain.Errorf(domain.CodeBadRequest, "The upload could not be read; choose the files again.")
	}
	files := mf.File["files"]
	if len(files) == 0 {
		return h.renderLibrary(c, http.StatusUnprocessableEntity, uploadResult{Problems: []fileResult{{Problem: "Choose one or more files to upload."}}})
	}
	var res uploadResult
	worst := 0
	for _, fh := range files {
		f, err := fh.Open()
		if err != nil {
			return fmt.Errorf("ui: open uploaded file: %w", err)
		}
		m, err := h.Media.Upload(ctx, actor, fh.Filename, "", f)
		f.Close()
		switch domain.CodeOf(err) {
		case "":
			res.Stored = append(res.Stored, m.Name)
		case domain.CodeInvalid, domain.CodeTooLarge, domain.CodeUnsupported, domain.CodeBadRequest:
			res.Problems = append(res.Problems, fileResult{Name: fh.Filename, Problem: domain.MessageOf(err)})
			worst = max(worst, status(err))
		default: // forbidden, suspended, or ours: the whole request fails
			return err
		}
	}
	if len(res.Problems) > 0 {
		return h.renderLibrary(c, worst, res)
	}
	if len(res.Stored) == 1 {
		h.flash(c, res.Stored[0]+" was uploaded.")
	} else {
		h.flash(c, strconv.Itoa(len(res.Stored))+" files were uploaded.")
	}
	return redirect(c, routePath("media.library"))
}

// mediaTiles handles GET /media/tiles?id=…&for=library|compose: the tiles of the named files,
// for media.js to add to the page once the files are stored or picked. Files of another
// company, or gone, are left out.
func (h *Handler) mediaTiles(c echo.Context) error {
	ids := c.QueryParams()["id"]
	if len(ids) == 0 || len(ids) > maxTiles {
		return domain.Errorf(domain.CodeBadRequest, "Name between 1 and %d files.", maxTiles)
	}
	want := make([]domain.MediaID, len(ids))
	for i, id := range ids {
		want[i] = domain.MediaID(id)
	}
	files, err := h.Media.Files(c.Request().Context(), actorOf(c), want)
	if err != nil {
		return err
	}
	var out []mediaTile
	for _, id := range want {
		if m, ok := files[id]; ok {
			out = append(out, h.tile(m))
		}
	}
	if c.QueryParam("for") == "compose" {
		return h.fragment(c, http.StatusOK, partChosen, chosenMedia{Items: out})
	}
	return h.fragment(c, http.StatusOK, partTiles, out)
}

// pickerPage is the compose page's "Choose from library" panel.
type pickerPage struct {
	Items []mediaTile
	Query string
	Kind  domain.MediaKind
	Next  string // the next page of the picker; "" on the last
}

// mediaPicker handles GET /media/picker, the panel compose loads with htmx: thumbnails to
// add to the post, searched by name. Its search field refreshes only the results, never
// itself.
func (h *Handler) mediaPicker(c echo.Context) error {
	if !h.Media.Enabled() {
		return app.ErrNoMediaLibrary
	}
	f := domain.MediaFilter{Query: strings.TrimSpace(c.QueryParam("q")), Kind: mediaKindParam(c.QueryParam("type"))}
	page, err := app.Page(mediaPageSize, c.QueryParam("cursor"), true)
	if err != nil {
		return err
	}
	ms, next, err := h.Media.List(c.Request().Context(), actorOf(c), f, page)
	if err != nil {
		return err
	}
	p := pickerPage{Items: h.tiles(ms), Query: f.Query, Kind: f.Kind}
	if next != "" {
		q := url.Values{"cursor": {next}}
		if f.Query != "" {
			q.Set("q", f.Query)
		}
		if f.Kind != "" {
			q.Set("type", string(f.Kind))
		}
		p.Next = routePath("media.picker") + "?" + q.Encode()
	}
	return h.fragment(c, http.StatusOK, partPicker, p)
}

// mediaPage is one library file's page.
type mediaPage struct {
	File      mediaTile
	Uses      []domain.MediaUse
	Alt       form // the alt text form, with what was typed when it comes back
	CanChange bool
	Blocked   bool   // a post yet to go out uses it: deleting is refused
	Deletion  string // why deleting was refused, when it was
}

// showMedia handles GET /media/:id.
func (h *Handler) showMedia(c echo.Context) error {
	m, err := h.Media.Get(c.Request().Context(), actorOf(c), domain.MediaID(c.Param("id")))
	if err != nil {
		return err
	}
	return h.renderMedia(c, http.StatusOK, m, newForm(map[string]string{"alt": m.Alt, "version": strconv.Itoa(m.Version)}), "")
}

func (h *Handler) renderMedia(c echo.Context, st int, m domain.Media, alt form, deletion string) error {
	uses, err := h.Media.Uses(c.Request().Context(), actorOf(c), m.ID)
	if err != nil {
		return err
	}
	v := view{Allows: h.allows(c), Actor: actorOf(c)}
	p := mediaPage{File: h.tile(m), Uses: uses, Alt: alt, CanChange: v.mayChange(m), Deletion: deletion,
		Blocked: slices.ContainsFunc(uses, domain.MediaUse.Blocks)}
	return h.page(c, st, pageMedia, p)
}

// saveAlt handles POST /media/:id/alt with the version the form was opened at. A stale
// save (412) says so and keeps the typed text; so does a refused one (422).
func (h *Handler) saveAlt(c echo.Context) error {
	ctx, actor := c.Request().Context(), actorOf(c)
	id := domain.MediaID(c.Param("id"))
	typed := newForm(map[string]string{"alt": c.FormValue("alt"), "version": c.FormValue("version")})
	version, _ := strconv.Atoi(c.FormValue("version"))
	m, err := h.Media.SetAlt(ctx, actor, id, typed.Values["alt"], version)
	switch domain.CodeOf(err) {
	case "":
		h.flash(c, "The alt text of "+m.Name+" was saved.")
		return redirect(c, routePath("media.show", m.ID))
	case domain.CodeStale, domain.CodeInvalid:
		current, gerr := h.Media.Get(ctx, actor, id)
		if gerr != nil {
			return gerr
		}
		typed = typed.withError(err)
		if domain.CodeOf(err) == domain.CodeStale {
			typed.Message = "Someone changed this file's alt text while you were editing it; it is now “" + current.Alt +
				"”. Your text is kept below: save again to replace theirs."
			typed.Values["version"] = strconv.Itoa(current.Version)
		}
		return h.renderMedia(c, status(err), current, typed, "")
	}
	return err
}

// deleteMedia handles POST /media/:id/delete. A file a post yet to go out uses is refused
// (409) with the reason on the file's page.
func (h *Handler) deleteMedia(c echo.Context) error {
	ctx, actor := c.Request().Context(), actorOf(c)
	id := domain.MediaID(c.Param("id"))
	// Read first for the page and the message; whether the actor may delete it (role, a
	// suspended company) is Delete's answer, which comes before "not found".
	m, _ := h.Media.Get(ctx, actor, id)
	err := h.Media.Delete(ctx, actor, id)
	switch domain.CodeOf(err) {
	case "":
		h.flash(c, m.Name+" was deleted.")
		return redirect(c, routePath("media.library"))
	case domain.CodeConflict:
		return h.renderMedia(c, status(err), m, newForm(map[string]string{"alt": m.Alt, "version": strconv.Itoa(m.Version)}), domain.MessageOf(err))
	}
	return err
}

// libraryFiles returns the signed tiles of the files among ids the viewer may see, by id;
// nil when the library is off or there are none.
func (h *Handler) libraryFiles(c echo.Context, ids []domain.MediaID) (map[domain.MediaID]mediaTile, error) {
	if len(ids) == 0 || h.Media == nil {
		return nil, nil
	}
	files, err := h.Media.Files(c.Request().Context(), actorOf(c), ids)
	if err != nil {
		return nil, err
	}
	out := make(map[domain.MediaID]mediaTile, len(files))
	for id, m := range files {
		out[id] = h.tile(m)
	}
	return out, nil
}

// chosenMedia is the compose page's row of chosen library files, in the post's order.
type chosenMedia struct {
	Items []mediaTile
}

// ordered returns the tiles of ids in order, leaving out files no longer in the library.
func ordered(ids []domain.MediaID, files map[domain.MediaID]mediaTile) []mediaTile {
	var out []mediaTile
	for _, id := range ids {
		if t, ok := files[id]; ok {
			out = append(out, t)
		}
	}
	return out
}
