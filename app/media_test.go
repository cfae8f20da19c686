package app_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/adapters/postgres/pgtest"
	"github.com/heraldhq/herald/adapters/storage/s3"
	"github.com/heraldhq/herald/adapters/storage/s3/s3test"
	"github.com/heraldhq/herald/app/apptest"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// pngOf returns a w×h PNG of one colour.
func pngOf(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{R: uint8(x), G: uint8(y), B: 200, A: 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func readAll(t testing.TB, s ports.MediaStorage, key string) []byte {
	t.Helper()
	obj, err := s.Open(context.Background(), key)
	if err != nil {
		t.Fatalf("open %s: %v", key, err)
	}
	defer obj.Close()
	b, err := io.ReadAll(obj)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestMedia_UploadListAltAndSignedAddresses(t *testing.T) {
	t.Parallel()
	a := apptest.New(t)
	owner := a.Company(t, domain.RoleOwner)
	data := pngOf(t, 640, 480)
	m, err := a.Media.Upload(a.Ctx, owner, `C:\photos\Team day.PNG`, "  The team on the roof  ", bytes.NewReader(data))
	if err != nil {
		t.Fatalf("Upload: %v", err)
	}
	if m.Name != "Team day.png" || m.MIMEType != domain.MIMEPNG || m.Width != 640 || m.Height != 480 || m.Alt != "The team on the roof" || !m.HasThumb {
		t.Errorf("uploaded = %+v", m)
	}
	stored := readAll(t, a.Storage, m.FileKey())
	if sum := sha256.Sum256(stored); !bytes.Equal(sum[:], m.SHA256) || int64(len(stored)) != m.Size {
		t.Errorf("stored %d bytes whose digest is not the record's", len(stored))
	}
	if thumb := readAll(t, a.Storage, m.ThumbKey()); len(thumb) < 100 || thumb[0] != 0xFF || thumb[1] != 0xD8 {
		t.Errorf("the preview is not a JPEG (%d bytes)", len(thumb))
	}

	// Listed, searched by words of the name or the alt text, filtered by kind.
	for q, want := range map[string]int{"": 1, "team roof": 1, "TEAM": 1, "beach": 0, "50%": 0} {
		got, _, err := a.Media.List(a.Ctx, owner, domain.MediaFilter{Query: q}, ports.Page{Limit: 10})
		if err != nil || len(got) != want {
			t.Errorf("List(%q) = %d files, %v; want %d", q, len(got), err, want)
		}
	}
	if got, _, _ := a.Media.List(a.Ctx, owner, domain.MediaFilter{Kind: domain.MediaVideo}, ports.Page{Limit: 10}); len(got) != 0 {
		t.Errorf("videos = %d, want 0", len(got))
	}

	// Alt text with a version check.
	m2, err := a.Media.SetAlt(a.Ctx, owner, m.ID, "Twelve people on a roof", m.Version)
	if err != nil || m2.Version != m.Version+1 || m2.Alt != "Twelve people on a roof" {
		t.Fatalf("SetAlt = %+v, %v", m2, err)
	}
	if _, err := a.Media.SetAlt(a.Ctx, owner, m.ID, "late", m.Version); domain.CodeOf(err) != domain.CodeStale {
		t.Errorf("a stale alt edit: %v, want stale", err)
	}

	// The signed address serves the bytes; a changed one or an expired one serves nothing.
	u := a.Media.URL(m2)
	token := strings.TrimPrefix(u, apptest.MediaFileURL)
	if token == u || !strings.HasSuffix(u, "/Team%20day.png") {
		t.Fatalf("URL = %s", u)
	}
	f, err := a.Media.OpenSigned(a.Ctx, token)
	if err != nil {
		t.Fatalf("OpenSigned: %v", err)
	}
	got, _ := io.ReadAll(f.Object)
	f.Object.Close()
	if !bytes.Equal(got, stored) || f.Type != domain.MIMEPNG {
		t.Errorf("served %d bytes of %s", len(got), f.Type)
	}
	tampered := []byte(token)
	tampered[5] ^= 1
	for name, tok := range map[string]string{"tampered": string(tampered), "empty": "", "no signature": strings.Split(token, ".")[0], "garbage": "%%%.%%%"} {
		if _, err := a.Media.OpenSigned(a.Ctx, tok); domain.CodeOf(err) != domain.CodeNotFound {
			t.Errorf("%s token: %v, want not found", name, err)
		}
	}
	thumb, err := a.Media.OpenSigned(a.Ctx, strings.TrimPrefix(a.Media.ThumbURL(m2), apptest.MediaFileURL))
	if err != nil || thumb.Type != "image/jpeg" {
		t.Errorf("preview address: %v", err)
	} else {
		thumb.Object.Close()
	}
	a.Clock.Advance(domain.MediaURLTTL + 2*time.Hour)
	if _, err := a.Media.OpenSigned(a.Ctx, token); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("an expired address: %v, want not found", err)
	}
}

func TestMedia_RefusesWhatItCannotTake(t *testing.T) {
	t.Parallel()
	a := apptest.New(t)
	owner := a.Company(t, domain.RoleOwner)
	for name, tc := range map[string]struct {
		body []byte
		code domain.Code
	}{
		"text":           {[]byte("hello, this is not an image"), domain.CodeUnsupported},
		"empty":          {nil, domain.CodeUnsupported},
		"a cut-off PNG":  {pngOf(t, 64, 64)[:60], domain.CodeInvalid},
		"an SVG":         {[]byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), domain.CodeUnsupported},
		"a PDF as a JPG": {[]byte("%PDF-1.7\n..."), domain.CodeUnsupported},
	} {
		if _, err := a.Media.Upload(a.Ctx, owner, "x.jpg", "", bytes.NewReader(tc.body)); domain.CodeOf(err) != tc.code {
			t.Errorf("%s: %v, want %s", name, err, tc.code)
		}
	}
	if _, err := a.Media.Upload(a.Ctx, owner, "x.png", strings.Repeat("a", domain.MaxAltRunes+1), bytes.NewReader(pngOf(t, 8, 8))); domain.FieldsOf(err)["alt"] == "" {
		t.Errorf("long alt text: %v", err)
	}
	// Nothing was stored or counted by the refusals.
	if u, err := a.Media.Usage(a.Ctx, owner); err != nil || u.Used != 0 {
		t.Errorf("usage after refusals = %+v, %v", u, err)
	}
	if n := countRows(t, a, "media"); n != 0 {
		t.Errorf("%d media rows after refusals", n)
	}
}

func countRows(t testing.TB, a *apptest.App, table string) int {
	t.Helper()
	var n int
	if err := a.DB.Pool().QueryRow(a.Ctx, `SELECT count(*) FROM `+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestMedia_QuotaAndFileSizeFollowThePlan(t *testing.T) {
	t.Parallel()
	a := apptest.New(t)
	owner := a.Company(t, domain.RoleOwner, pgtest.CompanyPlan(domain.PlanFree))
	free := domain.PlanFree.Limits()
	// Fill the library to just under the quota with a record of a large earlier file.
	if _, err := a.DB.Pool().Exec(a.Ctx, `INSERT INTO media (company_id, name, mime_type, size, sha256, ready, created_at, updated_at)
		VALUES ($1, 'big.mp4', 'video/mp4', $2, '\x00', true, now(), now())`, owner.CompanyID, free.StorageBytes-10); err != nil {
		t.Fatal(err)
	}
	_, err := a.Media.Upload(a.Ctx, owner, "a.png", "", bytes.NewReader(pngOf(t, 200, 200)))
	if domain.CodeOf(err) != domain.CodeTooLarge || !strings.Contains(domain.MessageOf(err), "Free plan allows 2.0 GB") {
		t.Errorf("over the quota: %v", err)
	}
	if err := a.Media.CheckUpload(a.Ctx, owner, free.MaxFileBytes+1); domain.CodeOf(err) != domain.CodeTooLarge {
		t.Errorf("CheckUpload over the file size: %v", err)
	}
	// An upload longer than the plan's file size is refused once that many bytes arrived,
	// without reading the rest.
	r := &countingReader{limit: free.MaxFileBytes + 10<<20}
	if _, err := a.Media.Upload(a.Ctx, owner, "huge.mp4", "", r); domain.CodeOf(err) != domain.CodeTooLarge {
		t.Errorf("an upload over the file size: %v", err)
	}
	if r.n > free.MaxFileBytes+1 {
		t.Errorf("read %d bytes of an upload over the %d limit", r.n, free.MaxFileBytes)
	}
}

// countingReader gives limit zero bytes and counts what was read.
type countingReader struct{ n, limit int64 }

func (r *countingReader) Read(p []byte) (int, error) {
	if r.n >= r.limit {
		return 0, io.EOF
	}
	n := min(int64(len(p)), r.limit-r.n)
	clear(p[:n])
	r.n += n
	return int(n), nil
}

func TestMedia_RolesTenancyAndDelete(t *testing.T) {
	t.Parallel()
	a := apptest.New(t)
	owner := a.Company(t, domain.RoleOwner)
	editor := a.Member(t, owner.CompanyID, domain.RoleEditor)
	other := a.Member(t, owner.CompanyID, domain.RoleEditor)
	viewer := a.Member(t, owner.CompanyID, domain.RoleViewer)
	rival := a.Company(t, domain.RoleOwner)

	if _, err := a.Media.Upload(a.Ctx, viewer, "v.png", "", bytes.NewReader(pngOf(t, 8, 8))); domain.CodeOf(err) != domain.CodeForbidden {
		t.Errorf("a viewer uploads: %v, want forbidden", err)
	}
	m, err := a.Media.Upload(a.Ctx, editor, "e.png", "", bytes.NewReader(pngOf(t, 100, 100)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Media.Get(a.Ctx, viewer, m.ID); err != nil {
		t.Errorf("a viewer reads: %v", err)
	}
	// Another company sees nothing of it, by any way in.
	if _, err := a.Media.Get(a.Ctx, rival, m.ID); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("another company gets it: %v", err)
	}
	if got, _, _ := a.Media.List(a.Ctx, rival, domain.MediaFilter{}, ports.Page{Limit: 10}); len(got) != 0 {
		t.Errorf("another company lists %d files", len(got))
	}
	if _, err := a.Media.SetAlt(a.Ctx, rival, m.ID, "x", 0); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("another company edits it: %v", err)
	}
	if err := a.Media.Delete(a.Ctx, rival, m.ID); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("another company deletes it: %v", err)
	}
	if _, err := a.Media.Uses(a.Ctx, rival, m.ID); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("another company reads its uses: %v", err)
	}
	rivalAccount := a.Connect(t, rival)
	if _, err := a.Posts.Create(a.Ctx, rival, domain.PostInput{Content: "x", MediaIDs: []domain.MediaID{m.ID}, AccountIDs: []domain.AccountID{rivalAccount.ID}}); domain.FieldsOf(err)["media_ids[0]"] == "" {
		t.Errorf("another company's post takes it: %v", err)
	}
	// Another editor may not change or delete it; an admin or owner may.
	if _, err := a.Media.SetAlt(a.Ctx, other, m.ID, "x", 0); domain.CodeOf(err) != domain.CodeForbidden {
		t.Errorf("another editor edits it: %v", err)
	}
	if err := a.Media.Delete(a.Ctx, other, m.ID); domain.CodeOf(err) != domain.CodeForbidden {
		t.Errorf("another editor deletes it: %v", err)
	}

	// A scheduled post that uses it blocks deleting it; a draft does not, and loses it.
	account := a.Connect(t, owner)
	scheduled, err := a.Posts.Create(a.Ctx, editor, domain.PostInput{Content: "soon", MediaIDs: []domain.MediaID{m.ID}, AccountIDs: []domain.AccountID{account.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if scheduled, err = a.Posts.Schedule(a.Ctx, editor, scheduled.ID, a.Clock.Now().Add(time.Hour), 0); err != nil {
		t.Fatal(err)
	}
	draft, err := a.Posts.Create(a.Ctx, editor, domain.PostInput{Content: "later", MediaIDs: []domain.MediaID{m.ID}, AccountIDs: []domain.AccountID{account.ID}})
	if err != nil {
		t.Fatal(err)
	}
	uses, err := a.Media.Uses(a.Ctx, viewer, m.ID)
	if err != nil || len(uses) != 2 {
		t.Fatalf("uses = %+v, %v", uses, err)
	}
	err = a.Media.Delete(a.Ctx, owner, m.ID)
	if domain.CodeOf(err) != domain.CodeConflict || !strings.Contains(domain.MessageOf(err), "e.png is used by a post that is yet to go out") {
		t.Fatalf("deleting a file a scheduled post uses: %v", err)
	}
	if _, err := a.Posts.Unschedule(a.Ctx, editor, scheduled.ID, 0); err != nil {
		t.Fatal(err)
	}
	if err := a.Media.Delete(a.Ctx, owner, m.ID); err != nil {
		t.Fatalf("an owner deletes another's file: %v", err)
	}
	if p := a.Get(t, owner, draft.ID); len(p.MediaIDs) != 0 {
		t.Errorf("the draft still has %v", p.MediaIDs)
	}
	// Its bytes go by the purge job.
	if n := countJobs(t, a, "purge_media"); n != 1 {
		t.Errorf("%d purge jobs, want 1", n)
	}
	if err := a.Media.Purge(a.Ctx, owner.CompanyID, []string{m.FileKey(), m.ThumbKey()}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Storage.Open(a.Ctx, m.FileKey()); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("the bytes are still stored: %v", err)
	}
	if err := a.Media.Purge(a.Ctx, owner.CompanyID, []string{domain.StoragePrefix(rival.CompanyID) + "x.png"}); err == nil {
		t.Error("a purge of one company reached another's key")
	}
}

func countJobs(t testing.TB, a *apptest.App, kind string) int {
	t.Helper()
	var n int
	if err := a.DB.Pool().QueryRow(a.Ctx, `SELECT count(*) FROM river_job WHERE kind = $1`, kind).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestMedia_PostsPublishTheStoredBytesWithAltText(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, apptest.Workers())
	owner := a.Company(t, domain.RoleOwner)
	account := a.Connect(t, owner)
	one, err := a.Media.Upload(a.Ctx, owner, "one.png", "First", bytes.NewReader(pngOf(t, 300, 200)))
	if err != nil {
		t.Fatal(err)
	}
	two, err := a.Media.Upload(a.Ctx, owner, "two.png", "", bytes.NewReader(pngOf(t, 120, 90)))
	if err != nil {
		t.Fatal(err)
	}
	type item struct {
		name, alt string
		sum       [32]byte
		url       string
	}
	got := make(chan []item, 1)
	a.Net.Mu.Lock()
	a.Net.Receive = func(ctx context.Context, p ports.Publication) error {
		var items []item
		for _, m := range p.Media {
			r, err := m.Open(ctx)
			if err != nil {
				return err
			}
			b, err := io.ReadAll(r)
			r.Close()
			if err != nil {
				return err
			}
			items = append(items, item{name: m.Name, alt: m.Alt, sum: sha256.Sum256(b), url: m.URL})
		}
		got <- items
		return nil
	}
	a.Net.Mu.Unlock()
	p, err := a.Posts.CreateScheduled(a.Ctx, owner, domain.PostInput{Content: "Two photos", MediaIDs: []domain.MediaID{two.ID, one.ID},
		AccountIDs: []domain.AccountID{account.ID}}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case items := <-got:
		if len(items) != 2 || items[0].name != "two.png" || items[1].name != "one.png" || items[1].alt != "First" {
			t.Fatalf("the platform received %+v", items)
		}
		if !bytes.Equal(items[0].sum[:], two.SHA256) || !bytes.Equal(items[1].sum[:], one.SHA256) {
			t.Error("the platform received other bytes than were stored")
		}
		if !strings.HasPrefix(items[0].url, apptest.MediaFileURL) {
			t.Errorf("the address handed over is %s", items[0].url)
		}
	case <-time.After(time.Minute):
		t.Fatal("nothing was published within a minute")
	}
	eventually(t, func() bool { return a.Get(t, owner, p.ID).Status() == domain.PostPublished })
}

func TestMedia_DeletingTheCompanyPurgesItsFiles(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, apptest.Workers())
	owner := a.Company(t, domain.RoleOwner, pgtest.CompanyName("Doomed"))
	rival := a.Company(t, domain.RoleOwner)
	mine, err := a.Media.Upload(a.Ctx, owner, "a.png", "", bytes.NewReader(pngOf(t, 50, 50)))
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := a.Media.Upload(a.Ctx, rival, "b.png", "", bytes.NewReader(pngOf(t, 50, 50)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Privacy.DeleteCompany(a.Ctx, owner, "Doomed"); err != nil {
		t.Fatal(err)
	}
	eventually(t, func() bool {
		_, err := a.Storage.Open(a.Ctx, mine.FileKey())
		return domain.CodeOf(err) == domain.CodeNotFound
	})
	if obj, err := a.Storage.Open(a.Ctx, theirs.FileKey()); err != nil {
		t.Errorf("the other company's file went too: %v", err)
	} else {
		obj.Close()
	}
}

func TestMedia_SweepDeletesUploadsACrashLeftHalfway(t *testing.T) {
	t.Parallel()
	a := apptest.New(t)
	owner := a.Company(t, domain.RoleOwner)
	m := domain.Media{CompanyID: owner.CompanyID, Name: "cut.png", MIMEType: domain.MIMEPNG, Size: 3, SHA256: []byte{1}, CreatedAt: a.Clock.Now()}
	if err := a.DB.InTx(a.Ctx, func(tx ports.Tx) error { return tx.Media().Reserve(a.Ctx, &m) }); err != nil {
		t.Fatal(err)
	}
	if err := a.Storage.Put(a.Ctx, m.FileKey(), strings.NewReader("abc"), 3, domain.MIMEPNG); err != nil {
		t.Fatal(err)
	}
	// Pending: not listed, but counted in the quota until swept.
	if got, _, _ := a.Media.List(a.Ctx, owner, domain.MediaFilter{}, ports.Page{Limit: 10}); len(got) != 0 {
		t.Errorf("a pending upload is listed")
	}
	if n, err := a.Media.Sweep(a.Ctx, time.Hour); err != nil || n != 0 {
		t.Errorf("a fresh pending upload was swept: %d, %v", n, err)
	}
	a.Clock.Advance(2 * time.Hour)
	if n, err := a.Media.Sweep(a.Ctx, time.Hour); err != nil || n != 1 {
		t.Errorf("Sweep = %d, %v; want 1", n, err)
	}
	if _, err := a.Storage.Open(a.Ctx, m.FileKey()); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("the swept upload's bytes remain: %v", err)
	}
	if u, _ := a.Media.Usage(a.Ctx, owner); u.Used != 0 {
		t.Errorf("the swept upload still counts %d bytes", u.Used)
	}
}

// eventually polls cond every 20 ms for up to a minute (a generous bound on a loaded machine).
func eventually(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("the condition did not hold within a minute")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestMedia_InAnS3Bucket runs the library on a real S3-compatible server (SeaweedFS): an
// upload lands in the bucket, its address (Herald's, or the bucket's presigned one) serves
// the bytes, and deleting the company empties its part of the bucket.
func TestMedia_InAnS3Bucket(t *testing.T) {
	t.Parallel()
	srv := s3test.Start(t)
	bucket, err := s3.New(srv.Config)
	if err != nil {
		t.Fatal(err)
	}
	a := apptest.New(t, apptest.WithStorage(bucket), apptest.Workers())
	owner := a.Company(t, domain.RoleOwner, pgtest.CompanyName("Bucketed"))
	data := pngOf(t, 320, 240)
	m, err := a.Media.Upload(a.Ctx, owner, "s3.png", "In a bucket", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if stored := readAll(t, bucket, m.FileKey()); int64(len(stored)) != m.Size {
		t.Fatalf("the bucket holds %d bytes, the record says %d", len(stored), m.Size)
	}
	presigned, err := bucket.SignedURL(a.Ctx, m.FileKey(), time.Hour)
	if err != nil || !strings.HasPrefix(presigned, srv.Config.Endpoint) {
		t.Fatalf("presigned = %q, %v", presigned, err)
	}
	res, err := http.Get(presigned)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if sum := sha256.Sum256(got); res.StatusCode != http.StatusOK || !bytes.Equal(sum[:], m.SHA256) {
		t.Errorf("the presigned address answered %d with other bytes", res.StatusCode)
	}
	f, err := a.Media.OpenSigned(a.Ctx, strings.TrimPrefix(a.Media.URL(m), apptest.MediaFileURL))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Object.Seek(10, io.SeekStart); err != nil {
		t.Errorf("seek in an S3 object: %v", err)
	}
	f.Object.Close()
	if _, err := a.Privacy.DeleteCompany(a.Ctx, owner, "Bucketed"); err != nil {
		t.Fatal(err)
	}
	eventually(t, func() bool {
		_, err := bucket.Open(a.Ctx, m.FileKey())
		return domain.CodeOf(err) == domain.CodeNotFound
	})
	if _, err := bucket.Open(a.Ctx, m.ThumbKey()); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("the preview stayed in the bucket: %v", err)
	}
}
