package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/app/apptest"
	"github.com/heraldhq/herald/domain"
)

// media is the API's media answer, as a client reads it.
type media struct {
	ID           string  `json:"id"`
	Name         string  `json:"name"`
	MIMEType     string  `json:"mime_type"`
	Size         int64   `json:"size"`
	Width        int     `json:"width"`
	Height       int     `json:"height"`
	DurationMS   *int64  `json:"duration_ms"`
	Alt          string  `json:"alt"`
	URL          string  `json:"url"`
	ThumbnailURL *string `json:"thumbnail_url"`
	Version      int     `json:"version"`
	CreatedBy    *string `json:"created_by"`
	CreatedAt    string  `json:"created_at"`
}

// pngOf encodes a w×h PNG with a gradient, so its bytes depend on its size.
func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		for y := range h {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 100, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// jpegOf encodes a w×h JPEG.
func jpegOf(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		for y := range h {
			img.Set(x, y, color.RGBA{200, uint8(x), uint8(y), 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

var (
	mp4Once  sync.Once
	mp4Bytes []byte
	mp4Err   error
)

// mp4Of returns a one-second 160×120 H.264 MP4 made by ffmpeg (installed with Herald's
// test tools), made once per test binary.
func mp4Of(t *testing.T) []byte {
	t.Helper()
	mp4Once.Do(func() {
		dir, err := os.MkdirTemp("", "herald-mp4-*")
		if err != nil {
			mp4Err = err
			return
		}
		defer os.RemoveAll(dir)
		out := filepath.Join(dir, "clip.mp4")
		cmd := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=duration=1:size=160x120:rate=10",
			"-pix_fmt", "yuv420p", "-c:v", "libx264", "-movflags", "+faststart", "-y", out)
		if msg, err := cmd.CombinedOutput(); err != nil {
			mp4Err = fmt.Errorf("ffmpeg: %v: %s", err, msg)
			return
		}
		mp4Bytes, mp4Err = os.ReadFile(out)
	})
	if mp4Err != nil {
		t.Fatal(mp4Err)
	}
	return mp4Bytes
}

// part is one part of a multipart body: a file when filename is set.
type part struct {
	name, filename string
	body           []byte
}

// multipartBody encodes parts in order and returns the body and its Content-Type.
func multipartBody(t *testing.T, parts ...part) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, p := range parts {
		var pw io.Writer
		var err error
		if p.filename != "" {
			pw, err = w.CreateFormFile(p.name, p.filename)
		} else {
			pw, err = w.CreateFormField(p.name)
		}
		if err != nil {
			t.Fatal(err)
		}
		pw.Write(p.body)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), w.FormDataContentType()
}

// upload posts parts to /media.
func (c *client) upload(parts []part, headers ...string) *response {
	c.s.t.Helper()
	body, ctype := multipartBody(c.s.t, parts...)
	return c.send("POST", "/media", bytes.NewReader(body), int64(len(body)), ctype, headers...)
}

// uploadFile uploads one file with its alt text and returns the stored file.
func (c *client) uploadFile(name string, data []byte, alt string) media {
	c.s.t.Helper()
	parts := []part{{name: "file", filename: name, body: data}}
	if alt != "" {
		parts = append(parts, part{name: "alt", body: []byte(alt)})
	}
	var m media
	c.upload(parts).want(http.StatusCreated).decode(&m)
	return m
}

// member adds a person of role to c's company and returns them signed in with a token.
func (c *client) member(role domain.Role) *client {
	c.s.t.Helper()
	who := c.s.Member(c.s.t, domain.CompanyID(c.company), role)
	issued, err := c.s.Auth.CreateToken(c.s.Ctx, who.UserID, "test", time.Time{})
	if err != nil {
		c.s.t.Fatal(err)
	}
	return &client{s: c.s, token: issued.Secret, company: c.company, actor: who}
}

func TestMedia_UploadListEditDelete(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := s.register("Library")

	photo := c.uploadFile("Beach photo.png", pngOf(t, 64, 48), "  Waves on the sand  ")
	if photo.MIMEType != "image/png" || photo.Width != 64 || photo.Height != 48 || photo.DurationMS != nil || photo.Alt != "Waves on the sand" ||
		photo.Name != "Beach photo.png" || photo.Version != 1 || photo.Size <= 0 || photo.URL == "" ||
		photo.CreatedBy == nil || *photo.CreatedBy != string(c.actor.UserID) {
		t.Errorf("the PNG = %+v", photo)
	}
	if _, err := time.Parse(time.RFC3339, photo.CreatedAt); err != nil || !strings.HasSuffix(photo.CreatedAt, "Z") {
		t.Errorf("created_at %q is not RFC 3339 in UTC", photo.CreatedAt)
	}
	shot := c.uploadFile("shot.jpeg", jpegOf(t, 40, 30), "")
	if shot.MIMEType != "image/jpeg" || shot.Name != "shot.jpg" || shot.Width != 40 || shot.Height != 30 || shot.Alt != "" {
		t.Errorf("the JPEG = %+v", shot)
	}
	// The type is read from the bytes, whatever the name says.
	clip := c.uploadFile("clip.png", mp4Of(t), "A test pattern")
	if clip.MIMEType != "video/mp4" || clip.Name != "clip.mp4" || clip.Width != 160 || clip.Height != 120 ||
		clip.DurationMS == nil || *clip.DurationMS < 900 || *clip.DurationMS > 1100 {
		t.Errorf("the MP4 = %+v", clip)
	}

	t.Run("GetAnswersTheFileWithItsETag", func(t *testing.T) {
		res := c.do("GET", "/media/"+photo.ID, nil).want(http.StatusOK)
		var got media
		res.decode(&got)
		if got.ID != photo.ID || got.Alt != photo.Alt || got.Size != photo.Size || res.header.Get("ETag") != `"1"` {
			t.Errorf("GET = %+v, ETag %q", got, res.header.Get("ETag"))
		}
	})

	t.Run("ListFiltersAndPages", func(t *testing.T) {
		list := func(query string) []media {
			var l struct {
				Items      []media `json:"items"`
				NextCursor *string `json:"next_cursor"`
			}
			c.do("GET", "/media"+query, nil).want(http.StatusOK).decode(&l)
			return l.Items
		}
		ids := func(ms []media) []string {
			var out []string
			for _, m := range ms {
				out = append(out, m.ID)
			}
			return out
		}
		if got, want := ids(list("")), []string{clip.ID, shot.ID, photo.ID}; !slices.Equal(got, want) {
			t.Errorf("GET /media = %v, want newest first %v", got, want)
		}
		if got := ids(list("?type=video")); !slices.Equal(got, []string{clip.ID}) {
			t.Errorf("type=video = %v", got)
		}
		if got := ids(list("?type=image")); !slices.Equal(got, []string{shot.ID, photo.ID}) {
			t.Errorf("type=image = %v", got)
		}
		if got := ids(list("?q=beach")); !slices.Equal(got, []string{photo.ID}) {
			t.Errorf("q=beach = %v", got)
		}
		if got := ids(list("?q=pattern")); !slices.Equal(got, []string{clip.ID}) { // alt text is searched too
			t.Errorf("q=pattern = %v", got)
		}
		var seen []string
		cursor := ""
		for range 5 {
			var l struct {
				Items      []media `json:"items"`
				NextCursor *string `json:"next_cursor"`
			}
			c.do("GET", "/media?limit=2&cursor="+cursor, nil).want(http.StatusOK).decode(&l)
			seen = append(seen, ids(l.Items)...)
			if l.NextCursor == nil {
				break
			}
			cursor = *l.NextCursor
		}
		if !slices.Equal(seen, []string{clip.ID, shot.ID, photo.ID}) {
			t.Errorf("pages of 2 visited %v", seen)
		}
		p := c.do("GET", "/media?type=audio", nil).problem(http.StatusUnprocessableEntity)
		if !slices.Contains(p.fields(), "type") {
			t.Errorf("type=audio names %v", p.fields())
		}
		c.do("GET", "/media?cursor=garbage", nil).problem(http.StatusUnprocessableEntity)
	})

	t.Run("AltTextNeedsTheCurrentVersion", func(t *testing.T) {
		res := c.do("PUT", "/media/"+shot.ID, map[string]string{"alt": "A red square"}, "If-Match", `"1"`).want(http.StatusOK)
		var got media
		res.decode(&got)
		if got.Alt != "A red square" || got.Version != 2 || res.header.Get("ETag") != `"2"` {
			t.Errorf("PUT alt = %+v, ETag %q", got, res.header.Get("ETag"))
		}
		c.do("PUT", "/media/"+shot.ID, map[string]string{"alt": "Stale"}, "If-Match", `"1"`).problem(http.StatusPreconditionFailed)
		p := c.do("PUT", "/media/"+shot.ID, map[string]string{}).problem(http.StatusUnprocessableEntity)
		if !slices.Contains(p.fields(), "alt") {
			t.Errorf("a PUT without alt names %v", p.fields())
		}
		p = c.do("PUT", "/media/"+shot.ID, map[string]string{"alt": strings.Repeat("a", domain.MaxAltRunes+1)}).problem(http.StatusUnprocessableEntity)
		if !slices.Contains(p.fields(), "alt") {
			t.Errorf("a long alt names %v", p.fields())
		}
		c.do("GET", "/media/"+shot.ID, nil).want(http.StatusOK).decode(&got)
		if got.Alt != "A red square" {
			t.Errorf("after refused changes alt = %q", got.Alt)
		}
	})

	t.Run("DeleteRemovesTheFile", func(t *testing.T) {
		extra := c.uploadFile("gone.png", pngOf(t, 8, 8), "")
		c.do("DELETE", "/media/"+extra.ID, nil).want(http.StatusNoContent)
		c.do("GET", "/media/"+extra.ID, nil).problem(http.StatusNotFound)
		c.do("DELETE", "/media/"+extra.ID, nil).problem(http.StatusNotFound)
	})
}

func TestMedia_UploadRefusesWhatItCannotStore(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := s.register("Refusals")
	file := func(name string, b []byte) part { return part{name: "file", filename: name, body: b} }

	notForm := c.do("POST", "/media", map[string]string{"file": "a.png"}).problem(http.StatusUnsupportedMediaType)
	if !strings.Contains(notForm.Detail, "multipart/form-data") {
		t.Errorf("a JSON upload: %q", notForm.Detail)
	}
	c.upload([]part{file("notes.png", []byte("just some text, not an image at all"))}).problem(http.StatusUnsupportedMediaType)
	broken := append(pngOf(t, 16, 16)[:40:40], bytes.Repeat([]byte{0xAB}, 200)...) // a PNG's header, then noise
	c.upload([]part{file("broken.png", broken)}).problem(http.StatusUnprocessableEntity)
	for name, parts := range map[string][]part{
		"file":  {{name: "alt", body: []byte("no file")}},
		"alt":   {file("a.png", pngOf(t, 4, 4)), {name: "alt", body: []byte(strings.Repeat("é", domain.MaxAltRunes+1))}},
		"extra": {file("a.png", pngOf(t, 4, 4)), {name: "extra", body: []byte("?")}},
		"alt ":  {file("a.png", pngOf(t, 4, 4)), {name: "alt", body: []byte("nul\x00here")}},
	} {
		p := c.upload(parts).problem(http.StatusUnprocessableEntity)
		if !slices.Contains(p.fields(), strings.TrimSpace(name)) {
			t.Errorf("upload without a good %s names %v", name, p.fields())
		}
	}
	p := c.upload([]part{file("empty.png", nil)}).problem(http.StatusUnprocessableEntity)
	if !slices.Contains(p.fields(), "file") {
		t.Errorf("an empty file names %v", p.fields())
	}
	// Two files in one request: one at a time.
	c.upload([]part{file("a.png", pngOf(t, 4, 4)), file("b.png", pngOf(t, 5, 5))}).problem(http.StatusUnprocessableEntity)

	limit := domain.PlanFree.Limits().MaxFileBytes
	// Announced too large: refused before the body is read.
	huge := io.LimitReader(zeros{}, limit+2<<20)
	c.send("POST", "/media", huge, limit+2<<20, "multipart/form-data; boundary=x").problem(http.StatusRequestEntityTooLarge)
	// Streamed without a length: reading stops past the plan's file size.
	body, ctype := multipartBody(t, file("big.mp4", nil))
	head, tail, _ := bytes.Cut(body, []byte("\r\n\r\n"))
	stream := io.MultiReader(bytes.NewReader(head), strings.NewReader("\r\n\r\n"), io.LimitReader(zeros{}, limit+1), bytes.NewReader(tail))
	p = c.send("POST", "/media", stream, -1, ctype).problem(http.StatusRequestEntityTooLarge)
	if !strings.Contains(p.Detail, "250 MB") {
		t.Errorf("413 says %q; want the plan's size", p.Detail)
	}

	var l struct {
		Items []media `json:"items"`
	}
	c.do("GET", "/media", nil).want(http.StatusOK).decode(&l)
	if len(l.Items) != 0 {
		t.Errorf("refused uploads left %d files in the library", len(l.Items))
	}
}

// zeros reads as endless zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestMedia_IdempotencyKeyKeepsOneCopy(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := s.register("Idempotent uploads")
	parts := []part{{name: "file", filename: "once.png", body: pngOf(t, 20, 20)}, {name: "alt", body: []byte("Once")}}
	first := c.upload(parts, "Idempotency-Key", "upload-1").want(http.StatusCreated)
	again := c.upload(parts, "Idempotency-Key", "upload-1").want(http.StatusCreated)
	if again.header.Get("Idempotent-Replayed") != "true" || string(again.body) != string(first.body) {
		t.Errorf("the repeat = %s (replayed %q), want the first answer %s", again.body, again.header.Get("Idempotent-Replayed"), first.body)
	}
	// The same key with another file is another request.
	other := []part{{name: "file", filename: "once.png", body: pngOf(t, 21, 20)}, {name: "alt", body: []byte("Once")}}
	p := c.upload(other, "Idempotency-Key", "upload-1").problem(http.StatusUnprocessableEntity)
	if !slices.Contains(p.fields(), "Idempotency-Key") {
		t.Errorf("reusing the key for another file names %v", p.fields())
	}
	var l struct {
		Items []media `json:"items"`
	}
	c.do("GET", "/media", nil).want(http.StatusOK).decode(&l)
	if len(l.Items) != 1 {
		t.Errorf("%d files after an upload and its repeat, want 1", len(l.Items))
	}
}

func TestMedia_Roles(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	owner := s.register("Roles")
	viewer, editor, admin := owner.member(domain.RoleViewer), owner.member(domain.RoleEditor), owner.member(domain.RoleAdmin)
	ownersFile := owner.uploadFile("owner.png", pngOf(t, 10, 10), "")

	viewer.upload([]part{{name: "file", filename: "v.png", body: pngOf(t, 10, 10)}}).problem(http.StatusForbidden)
	viewer.do("GET", "/media", nil).want(http.StatusOK)
	viewer.do("GET", "/media/"+ownersFile.ID, nil).want(http.StatusOK)
	viewer.do("PUT", "/media/"+ownersFile.ID, map[string]string{"alt": "x"}).problem(http.StatusForbidden)
	viewer.do("DELETE", "/media/"+ownersFile.ID, nil).problem(http.StatusForbidden)

	editorsFile := editor.uploadFile("editor.png", pngOf(t, 11, 11), "")
	editor.do("PUT", "/media/"+editorsFile.ID, map[string]string{"alt": "Mine"}).want(http.StatusOK)
	editor.do("PUT", "/media/"+ownersFile.ID, map[string]string{"alt": "Not mine"}).problem(http.StatusForbidden)
	editor.do("DELETE", "/media/"+ownersFile.ID, nil).problem(http.StatusForbidden)
	admin.do("PUT", "/media/"+editorsFile.ID, map[string]string{"alt": "Checked"}).want(http.StatusOK)
	admin.do("DELETE", "/media/"+editorsFile.ID, nil).want(http.StatusNoContent)
	editor.do("GET", "/media/"+editorsFile.ID, nil).problem(http.StatusNotFound)
	owner.do("GET", "/media/"+ownersFile.ID, nil).want(http.StatusOK)
}

func TestMedia_AnotherCompanysFilesAreNotFound(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	acme, rival := s.register("Acme media"), s.register("Rival media")
	theirs := rival.uploadFile("secret.png", pngOf(t, 9, 9), "Rival's plan")
	acmeAcct := s.Connect(t, acme.actor)

	acme.do("GET", "/media/"+theirs.ID, nil).problem(http.StatusNotFound)
	acme.do("PUT", "/media/"+theirs.ID, map[string]string{"alt": "Mine now"}).problem(http.StatusNotFound)
	acme.do("DELETE", "/media/"+theirs.ID, nil).problem(http.StatusNotFound)
	var l struct {
		Items []media `json:"items"`
	}
	acme.do("GET", "/media?q=secret", nil).want(http.StatusOK).decode(&l)
	if len(l.Items) != 0 {
		t.Errorf("acme's library lists %d of rival's files", len(l.Items))
	}
	p := acme.do("POST", "/posts", map[string]any{"content": "Borrowed", "account_ids": []domain.AccountID{acmeAcct.ID}, "media_ids": []string{theirs.ID}}).
		problem(http.StatusUnprocessableEntity)
	if !slices.Equal(p.fields(), []string{"media_ids[0]"}) {
		t.Errorf("a post with another company's file names %v", p.fields())
	}
	rival.do("GET", "/media/"+theirs.ID, nil).want(http.StatusOK)
	rival.do("GET", "/media/"+theirs.ID, nil, "X-Company-ID", acme.company).problem(http.StatusNotFound)
}

// reset zeroes v and returns it, so an answer decoded into it leaves nothing of the last
// (json.Unmarshal adds to a map it finds).
func reset[T any](v *T) *T {
	var zero T
	*v = zero
	return v
}

// postAnswer is the part of a post answer the media tests read.
type postAnswer struct {
	ID       string   `json:"id"`
	MediaIDs []string `json:"media_ids"`
	Media    []media  `json:"media"`
	Variants map[string]struct {
		Content  string    `json:"content"`
		MediaIDs *[]string `json:"media_ids"`
	} `json:"variants"`
	Targets []struct {
		AccountID string    `json:"account_id"`
		MediaIDs  *[]string `json:"media_ids"`
	} `json:"targets"`
}

func TestPosts_MediaIDsWithPerAccountSubsets(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := s.register("Posts with media")
	first, second := s.Connect(t, c.actor), s.ConnectAs(t, c.actor, "second-page")
	a := c.uploadFile("a.png", pngOf(t, 30, 30), "First")
	b := c.uploadFile("b.jpg", jpegOf(t, 30, 30), "Second")

	body := map[string]any{"content": "Two pictures", "account_ids": []domain.AccountID{first.ID, second.ID},
		"media_ids": []string{b.ID, a.ID},
		"variants":  map[domain.AccountID]any{second.ID: map[string]any{"content": "Only one here", "media_ids": []string{a.ID}}}}
	var p postAnswer
	res := c.do("POST", "/posts", body).want(http.StatusCreated)
	res.decode(reset(&p))
	check := func(when string, p postAnswer) {
		t.Helper()
		if !slices.Equal(p.MediaIDs, []string{b.ID, a.ID}) {
			t.Errorf("%s: media_ids = %v, want the order given", when, p.MediaIDs)
		}
		if len(p.Media) != 2 || p.Media[0].ID != b.ID || p.Media[1].ID != a.ID || p.Media[0].Alt != "Second" || p.Media[1].URL == "" {
			t.Errorf("%s: media = %+v", when, p.Media)
		}
		v, ok := p.Variants[string(second.ID)]
		if !ok || v.Content != "Only one here" || v.MediaIDs == nil || !slices.Equal(*v.MediaIDs, []string{a.ID}) {
			t.Errorf("%s: variants = %+v", when, p.Variants)
		}
		if _, ok := p.Variants[string(first.ID)]; ok {
			t.Errorf("%s: the first account has a variant: %+v", when, p.Variants)
		}
		for _, tg := range p.Targets {
			switch tg.AccountID {
			case string(first.ID):
				if tg.MediaIDs != nil {
					t.Errorf("%s: the first account takes the post's media, but answers its own %v", when, *tg.MediaIDs)
				}
			case string(second.ID):
				if tg.MediaIDs == nil || !slices.Equal(*tg.MediaIDs, []string{a.ID}) {
					t.Errorf("%s: the second account's media_ids = %v", when, tg.MediaIDs)
				}
			}
		}
	}
	check("POST", p)
	c.do("GET", "/posts/"+p.ID, nil).want(http.StatusOK).decode(reset(&p))
	check("GET", p)
	var list struct {
		Items []postAnswer `json:"items"`
	}
	c.do("GET", "/posts", nil).want(http.StatusOK).decode(&list)
	if len(list.Items) != 1 {
		t.Fatalf("GET /posts: %d posts", len(list.Items))
	}
	check("GET /posts", list.Items[0])

	// The answer, sent back, is the same post.
	var again map[string]any
	c.do("GET", "/posts/"+p.ID, nil).want(http.StatusOK).decode(&again)
	edit := map[string]any{"content": again["content"], "media_ids": again["media_ids"], "account_ids": []domain.AccountID{first.ID, second.ID}, "variants": again["variants"]}
	c.do("PUT", "/posts/"+p.ID, edit).want(http.StatusOK).decode(reset(&p))
	check("PUT of the answer", p)

	// An empty list of its own: the account gets no library files.
	body["variants"] = map[domain.AccountID]any{second.ID: map[string]any{"content": "", "media_ids": []string{}}}
	c.do("PUT", "/posts/"+p.ID, body).want(http.StatusOK).decode(reset(&p))
	for _, tg := range p.Targets {
		if tg.AccountID == string(second.ID) && (tg.MediaIDs == nil || len(*tg.MediaIDs) != 0) {
			t.Errorf("an empty own list answers %v", tg.MediaIDs)
		}
	}
	if v, ok := p.Variants[string(second.ID)]; !ok || v.MediaIDs == nil || len(*v.MediaIDs) != 0 {
		t.Errorf("an empty own list, without content, answers variants %+v; want it kept so the answer can be sent back", p.Variants)
	}

	// Field errors come from the domain, by position.
	bad := map[string]any{"content": "Bad", "account_ids": []domain.AccountID{first.ID, second.ID},
		"media_ids": []string{a.ID, a.ID},
		"variants":  map[domain.AccountID]any{second.ID: map[string]any{"content": "", "media_ids": []string{b.ID}}}}
	pr := c.do("POST", "/posts", bad).problem(http.StatusUnprocessableEntity)
	want := []string{"media_ids[1]", fmt.Sprintf("variants.%s.media_ids[0]", second.ID)}
	for _, f := range want {
		if !slices.Contains(pr.fields(), f) {
			t.Errorf("bad media_ids name %v, want %v among them", pr.fields(), f)
		}
	}
	pr = c.do("POST", "/posts", map[string]any{"content": "x", "account_ids": []domain.AccountID{first.ID}, "media_ids": []string{"not-an-id"}}).
		problem(http.StatusUnprocessableEntity)
	if !slices.Contains(pr.fields(), "media_ids[0]") {
		t.Errorf("a malformed media id names %v", pr.fields())
	}
}

func TestMedia_DeleteRefusedWhileAScheduledPostUsesIt(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := s.register("Scheduled media")
	acct := s.Connect(t, c.actor)
	m := c.uploadFile("launch.png", pngOf(t, 50, 50), "Launch")
	var p postAnswer
	res := c.do("POST", "/posts", map[string]any{"content": "Launch", "account_ids": []domain.AccountID{acct.ID}, "media_ids": []string{m.ID}}).
		want(http.StatusCreated)
	res.decode(reset(&p))
	when := s.Clock.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
	c.do("POST", "/posts/"+p.ID+"/schedule", map[string]string{"scheduled_for": when}).want(http.StatusOK)

	pr := c.do("DELETE", "/media/"+m.ID, nil).problem(http.StatusConflict)
	if !strings.Contains(pr.Detail, "launch.png") {
		t.Errorf("409 says %q", pr.Detail)
	}
	c.do("GET", "/media/"+m.ID, nil).want(http.StatusOK)

	c.do("DELETE", "/posts/"+p.ID+"/schedule", nil).want(http.StatusOK)
	c.do("DELETE", "/media/"+m.ID, nil).want(http.StatusNoContent)
	c.do("GET", "/posts/"+p.ID, nil).want(http.StatusOK).decode(reset(&p))
	if len(p.MediaIDs) != 0 || len(p.Media) != 0 {
		t.Errorf("the draft still has the deleted file: media_ids %v, media %v", p.MediaIDs, p.Media)
	}
}

func TestCompanyExport_MediaFilesCanBeDownloaded(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := s.register("Export media")
	data := pngOf(t, 12, 12)
	m := c.uploadFile("keep.png", data, "")
	var export struct {
		Sections map[string][]json.RawMessage `json:"sections"`
	}
	c.do("GET", "/company/export", nil).want(http.StatusOK).decode(&export)
	rows := export.Sections["media_files"]
	if len(rows) != 1 {
		t.Fatalf("media_files has %d rows: %s", len(rows), rows)
	}
	var row map[string]string
	if err := json.Unmarshal(rows[0], &row); err != nil {
		t.Fatal(err)
	}
	if len(row) != 3 || row["id"] != m.ID || row["name"] != "keep.png" || row["url"] == "" {
		t.Fatalf("media_files row = %v", row)
	}
	download := func() ([]byte, error) {
		f, err := s.Media.OpenSigned(s.Ctx, signedToken(row["url"]))
		if err != nil {
			return nil, err
		}
		defer f.Object.Close()
		return io.ReadAll(f.Object)
	}
	got, err := download()
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("downloading the export's url: %d bytes, %v; want the %d uploaded", len(got), err, len(data))
	}
	// Valid for a day, then no longer.
	s.Clock.Advance(23 * time.Hour)
	if _, err := download(); err != nil {
		t.Errorf("23 hours later: %v", err)
	}
	s.Clock.Advance(3 * time.Hour)
	if _, err := download(); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("26 hours later: %v, want not found", err)
	}
}

// signedToken is the token of a signed file address (app.MediaConfig.FileURL's argument),
// whatever FileURL made of it.
func signedToken(u string) string {
	if _, after, ok := strings.Cut(u, "/media/files/"); ok {
		return after
	}
	return u
}

func TestMedia_WithoutStorageTheRoutesAnswer503(t *testing.T) {
	t.Parallel()
	a := apptest.New(t)
	svc := *a.Services
	svc.Media = &app.Media{} // what app.New builds without MediaStorage
	s := serveAPI(t, a, &svc)
	c := s.register("No storage")
	id := "00000000-0000-4000-8000-000000000001"
	body, ctype := multipartBody(t, part{name: "file", filename: "a.png", body: pngOf(t, 4, 4)})
	c.send("POST", "/media", bytes.NewReader(body), int64(len(body)), ctype).problem(http.StatusServiceUnavailable)
	c.do("GET", "/media", nil).problem(http.StatusServiceUnavailable)
	c.do("GET", "/media/"+id, nil).problem(http.StatusServiceUnavailable)
	c.do("PUT", "/media/"+id, map[string]string{"alt": "x"}).problem(http.StatusServiceUnavailable)
	c.do("DELETE", "/media/"+id, nil).problem(http.StatusServiceUnavailable)
	// Posts work as before, with no library files.
	acct := s.Connect(t, c.actor)
	var p postAnswer
	c.do("POST", "/posts", map[string]any{"content": "Text only", "account_ids": []domain.AccountID{acct.ID}}).want(http.StatusCreated).decode(reset(&p))
	if p.MediaIDs == nil || len(p.MediaIDs) != 0 || p.Media == nil || len(p.Media) != 0 {
		t.Errorf("a post without library files answers media_ids %v, media %v; want empty lists", p.MediaIDs, p.Media)
	}
}
