package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// Media holds the use cases of the media library: uploading files (read, checked, stripped
// of metadata, previewed, then stored), listing them, alt text, deleting, and the signed
// addresses at which platforms and browsers fetch them.
//
// An upload is stored in three steps so nothing is ever half-stored: its record is reserved
// (pending, holding its place in the quota) in one transaction, its bytes are stored, then
// the record is completed in another. An upload that fails in between deletes what it
// stored; one cut short by a crash is deleted by Sweep.
type Media struct {
	store   ports.Store
	authz   ports.Authorizer
	storage ports.MediaStorage
	inspect ports.MediaInspector
	signer  mediaSigner
	spool   string // directory for uploads being read; "" is os.TempDir
	direct  bool   // prefer the storage's own signed addresses over Herald's
	now     func() time.Time
	log     *slog.Logger
}

// MediaConfig configures the media library.
type MediaConfig struct {
	// SigningKey signs the addresses of files (at least 32 bytes).
	SigningKey []byte
	// FileURL returns the absolute address of the route that serves a signed file token.
	FileURL func(token string) string
	// SpoolDir holds uploads while they are read; "" is the system's temporary directory.
	SpoolDir string
	// DirectURLs hands platforms the storage's own presigned addresses (an S3 bucket's)
	// when it has them, instead of Herald's.
	DirectURLs bool
}

// ErrNoMediaLibrary is returned when Herald runs without media storage.
var ErrNoMediaLibrary = domain.Errorf(domain.CodeUnavailable, "The media library is not configured on this Herald.")

// Enabled reports whether the media library is configured.
func (s *Media) Enabled() bool { return s != nil && s.storage != nil }

// Upload reads a file from r, as named by the person (the name is only shown; the type is
// read from the bytes), and stores it in the actor's company's library with its alt text.
// Errors: CodeForbidden; CodeSuspended; CodeTooLarge (over the plan's file size or
// storage); CodeUnsupported (not an image or video Herald takes); CodeInvalid (unreadable,
// too many pixels, too long, alt text too long).
func (s *Media) Upload(ctx context.Context, actor domain.Actor, name, alt string, r io.Reader) (domain.Media, error) {
	if !s.Enabled() {
		return domain.Media{}, ErrNoMediaLibrary
	}
	company, err := s.canUpload(ctx, actor)
	if err != nil {
		return domain.Media{}, err
	}
	f, err := os.CreateTemp(s.spool, "upload-*")
	if err != nil {
		return domain.Media{}, fmt.Errorf("media: spool: %w", err)
	}
	defer removeFile(f)
	limit := company.Plan.Limits().MaxFileBytes
	n, err := io.Copy(f, io.LimitReader(r, limit+1))
	if err != nil {
		return domain.Media{}, readError(err)
	}
	if n > limit {
		return domain.Media{}, company.Plan.CheckFileSize(n)
	}
	return s.ingest(ctx, actor, company, name, alt, f)
}

// UploadFile stores the finished upload in the file at path (a resumable upload's) like
// Upload, and removes the file.
func (s *Media) UploadFile(ctx context.Context, actor domain.Actor, name, alt, path string) (domain.Media, error) {
	if !s.Enabled() {
		return domain.Media{}, ErrNoMediaLibrary
	}
	f, err := os.Open(path)
	if err != nil {
		return domain.Media{}, fmt.Errorf("media: open upload: %w", err)
	}
	defer removeFile(f)
	company, err := s.canUpload(ctx, actor)
	if err != nil {
		return domain.Media{}, err
	}
	st, err := f.Stat()
	if err != nil {
		return domain.Media{}, err
	}
	if err := company.Plan.CheckFileSize(st.Size()); err != nil {
		return domain.Media{}, err
	}
	return s.ingest(ctx, actor, company, name, alt, f)
}

// SpoolFile returns a new, empty file in the library's spool directory, for an upload the
// caller must hold whole before handing it to UploadFile (which removes it): the JSON API
// reads a multipart upload's fields and digest before deciding to store it.
func (s *Media) SpoolFile() (*os.File, error) {
	if !s.Enabled() {
		return nil, ErrNoMediaLibrary
	}
	f, err := os.CreateTemp(s.spool, "upload-*")
	if err != nil {
		return nil, fmt.Errorf("media: spool: %w", err)
	}
	return f, nil
}

// CheckUpload answers, before any byte is sent, whether the actor may upload a file of
// size bytes: the resumable upload's first question.
// Errors: those of Upload about permissions and sizes.
func (s *Media) CheckUpload(ctx context.Context, actor domain.Actor, size int64) error {
	if !s.Enabled() {
		return ErrNoMediaLibrary
	}
	company, err := s.canUpload(ctx, actor)
	if err != nil {
		return err
	}
	if err := company.Plan.CheckFileSize(size); err != nil {
		return err
	}
	return s.store.Read(ctx, func(tx ports.Tx) error {
		used, err := tx.Media().UsedBytes(ctx, company.ID)
		if err != nil {
			return err
		}
		return company.Plan.CheckStorage(used, size)
	})
}

func (s *Media) canUpload(ctx context.Context, actor domain.Actor) (domain.Company, error) {
	if err := s.authz.Can(ctx, actor, domain.ResourceMedia, domain.ActionWrite); err != nil {
		return domain.Company{}, err
	}
	var c domain.Company
	err := s.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		c, err = tx.Companies().Get(ctx, actor.CompanyID)
		return err
	})
	if err != nil {
		return domain.Company{}, err
	}
	return c, c.CheckActive()
}

// ingest reads, stores and records the spooled upload in.
func (s *Media) ingest(ctx context.Context, actor domain.Actor, company domain.Company, name, alt string, in *os.File) (domain.Media, error) {
	alt, err := domain.CheckAlt(alt)
	if err != nil {
		return domain.Media{}, err
	}
	out, err := os.CreateTemp(s.spool, "prepared-*")
	if err != nil {
		return domain.Media{}, fmt.Errorf("media: spool: %w", err)
	}
	defer removeFile(out)
	if _, err := in.Seek(0, io.SeekStart); err != nil {
		return domain.Media{}, err
	}
	prep, err := s.inspect.Prepare(ctx, in, out)
	if err != nil {
		return domain.Media{}, err
	}
	if err := prep.Facts.Check(); err != nil {
		return domain.Media{}, err
	}
	file := in
	if prep.Rewritten {
		file = out
	}
	size, sum, err := hashFile(file)
	if err != nil {
		return domain.Media{}, err
	}
	m := domain.Media{CompanyID: company.ID, CreatedBy: actor.UserID, Name: domain.CleanMediaName(name, prep.Facts.MIMEType),
		MIMEType: prep.Facts.MIMEType, Size: size, Width: prep.Facts.Width, Height: prep.Facts.Height, Duration: prep.Facts.Duration,
		Alt: alt, SHA256: sum, CreatedAt: s.now().UTC()}
	// 1. The record, pending, within the quota: the company's row lock makes two uploads
	// of one company count one after the other.
	if err := s.store.InTx(ctx, func(tx ports.Tx) error {
		c, err := tx.Companies().Lock(ctx, company.ID)
		if err != nil {
			return err
		}
		used, err := tx.Media().UsedBytes(ctx, c.ID)
		if err != nil {
			return err
		}
		if err := c.Plan.CheckStorage(used, m.Size); err != nil {
			return err
		}
		return tx.Media().Reserve(ctx, &m)
	}); err != nil {
		return domain.Media{}, err
	}
	// 2. The bytes; 3. the record completed. Any failure deletes what was stored.
	err = s.storeBytes(ctx, &m, file, prep.Thumbnail)
	if err == nil {
		err = s.store.InTx(ctx, func(tx ports.Tx) error {
			if err := tx.Media().Complete(ctx, m.CompanyID, m.ID, m.HasThumb, m.CreatedAt); err != nil {
				return err
			}
			return tx.Audit().Record(ctx, domain.AuditEntry{CompanyID: actor.CompanyID, ActorID: actor.UserID, IP: actor.IP,
				Action: "media.uploaded", Subject: string(m.ID), Details: map[string]string{"name": m.Name, "size": fmt.Sprint(m.Size)}, At: s.now()})
		})
	}
	if err != nil {
		s.abandon(m)
		return domain.Media{}, err
	}
	return m, nil
}

func (s *Media) storeBytes(ctx context.Context, m *domain.Media, file *os.File, thumb []byte) error {
	if _, err := file.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if err := s.storage.Put(ctx, m.FileKey(), file, m.Size, m.MIMEType); err != nil {
		return fmt.Errorf("media: store the file: %w", err)
	}
	if len(thumb) > 0 {
		if err := s.storage.Put(ctx, m.ThumbKey(), strings.NewReader(string(thumb)), int64(len(thumb)), "image/jpeg"); err != nil {
			return fmt.Errorf("media: store the preview: %w", err)
		}
		m.HasThumb = true
	}
	return nil
}

// abandon deletes a failed upload's bytes and record, on a context of its own: the
// request's may be what ended. What it cannot delete, Sweep does later.
func (s *Media) abandon(m domain.Media) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.deleteBytes(ctx, m); err != nil {
		s.log.Warn("media: delete a failed upload's bytes", "media", m.ID, "err", err)
		return // the pending record stays for Sweep
	}
	if err := s.store.InTx(ctx, func(tx ports.Tx) error { return tx.Media().Delete(ctx, m.CompanyID, m.ID) }); err != nil {
		s.log.Warn("media: delete a failed upload's record", "media", m.ID, "err", err)
	}
}

func (s *Media) deleteBytes(ctx context.Context, m domain.Media) error {
	return errors.Join(s.storage.Delete(ctx, m.FileKey()), s.storage.Delete(ctx, m.ThumbKey()))
}

// Sweep deletes uploads that ended without being completed (a crash between reserving and
// completing) more than olderThan ago, bytes first. It returns how many went.
func (s *Media) Sweep(ctx context.Context, olderThan time.Duration) (int, error) {
	if !s.Enabled() {
		return 0, nil
	}
	var stale []domain.Media
	if err := s.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		stale, err = tx.Media().Stale(ctx, s.now().Add(-olderThan), 500)
		return err
	}); err != nil {
		return 0, err
	}
	n := 0
	for _, m := range stale {
		if err := s.deleteBytes(ctx, m); err != nil {
			return n, err
		}
		if err := s.store.InTx(ctx, func(tx ports.Tx) error { return tx.Media().Delete(ctx, m.CompanyID, m.ID) }); err != nil && domain.CodeOf(err) != domain.CodeNotFound {
			return n, err
		}
		n++
	}
	return n, nil
}

// Get returns a file of the actor's company's library.
// Errors: CodeForbidden; CodeNotFound (also another company's).
func (s *Media) Get(ctx context.Context, actor domain.Actor, id domain.MediaID) (domain.Media, error) {
	if err := s.authz.Can(ctx, actor, domain.ResourceMedia, domain.ActionRead); err != nil {
		return domain.Media{}, err
	}
	var m domain.Media
	err := s.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		m, err = tx.Media().Get(ctx, actor.CompanyID, id)
		return err
	})
	return m, err
}

// Files returns the actor's company's files among ids (absent ones are left out), for
// showing a post's media.
func (s *Media) Files(ctx context.Context, actor domain.Actor, ids []domain.MediaID) (map[domain.MediaID]domain.Media, error) {
	if err := s.authz.Can(ctx, actor, domain.ResourceMedia, domain.ActionRead); err != nil {
		return nil, err
	}
	var out map[domain.MediaID]domain.Media
	err := s.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		out, err = tx.Media().GetMany(ctx, actor.CompanyID, ids)
		return err
	})
	return out, err
}

// List returns one page of the library, newest first.
// Errors: CodeForbidden; CodeInvalid (cursor).
func (s *Media) List(ctx context.Context, actor domain.Actor, f domain.MediaFilter, page ports.Page) ([]domain.Media, string, error) {
	if err := s.authz.Can(ctx, actor, domain.ResourceMedia, domain.ActionRead); err != nil {
		return nil, "", err
	}
	var out []domain.Media
	var next string
	err := s.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		out, next, err = tx.Media().List(ctx, actor.CompanyID, f, page)
		return err
	})
	return out, next, err
}

// Uses returns the posts that use the file, newest first (at most 50).
func (s *Media) Uses(ctx context.Context, actor domain.Actor, id domain.MediaID) ([]domain.MediaUse, error) {
	if err := s.authz.Can(ctx, actor, domain.ResourceMedia, domain.ActionRead); err != nil {
		return nil, err
	}
	var out []domain.MediaUse
	err := s.store.Read(ctx, func(tx ports.Tx) error {
		if _, err := tx.Media().Get(ctx, actor.CompanyID, id); err != nil {
			return err
		}
		var err error
		out, err = tx.Media().Uses(ctx, actor.CompanyID, id, 50)
		return err
	})
	return out, err
}

// StorageUsage is how much of its plan's storage the company's library takes.
type StorageUsage struct {
	Used, Quota, MaxFile int64
}

// Usage returns the library's storage used and allowed.
func (s *Media) Usage(ctx context.Context, actor domain.Actor) (StorageUsage, error) {
	if err := s.authz.Can(ctx, actor, domain.ResourceMedia, domain.ActionRead); err != nil {
		return StorageUsage{}, err
	}
	var u StorageUsage
	err := s.store.Read(ctx, func(tx ports.Tx) error {
		c, err := tx.Companies().Get(ctx, actor.CompanyID)
		if err != nil {
			return err
		}
		u.Quota, u.MaxFile = c.Plan.Limits().StorageBytes, c.Plan.Limits().MaxFileBytes
		u.Used, err = tx.Media().UsedBytes(ctx, actor.CompanyID)
		return err
	})
	return u, err
}

// SetAlt changes the file's alt text; ifMatch, when not 0, is the version the caller saw.
// Members change their own files; changing another's takes the library permission.
// Errors: CodeForbidden; CodeNotFound; CodeStale; CodeInvalid.
func (s *Media) SetAlt(ctx context.Context, actor domain.Actor, id domain.MediaID, alt string, ifMatch int) (domain.Media, error) {
	alt, err := domain.CheckAlt(alt)
	if err != nil {
		return domain.Media{}, err
	}
	var m domain.Media
	err = s.store.InTx(ctx, func(tx ports.Tx) error {
		var err error
		if m, err = s.mine(ctx, tx, actor, id); err != nil {
			return err
		}
		if err := domain.CheckVersion(ifMatch, m.Version); err != nil {
			return err
		}
		m.Alt, m.UpdatedAt = alt, s.now().UTC()
		if err := tx.Media().SetAlt(ctx, &m); err != nil {
			return err
		}
		return tx.Audit().Record(ctx, domain.AuditEntry{CompanyID: actor.CompanyID, ActorID: actor.UserID, IP: actor.IP,
			Action: "media.updated", Subject: string(m.ID), Details: map[string]string{"name": m.Name}, At: s.now()})
	})
	return m, err
}

// Delete removes the file from the library, from the drafts that use it, and its bytes
// from storage. Members delete their own files; deleting another's takes the library
// permission. Errors: CodeForbidden; CodeNotFound; CodeConflict (a scheduled or
// publishing post uses it).
func (s *Media) Delete(ctx context.Context, actor domain.Actor, id domain.MediaID) error {
	var m domain.Media
	err := s.store.InTx(ctx, func(tx ports.Tx) error {
		var err error
		if m, err = s.mine(ctx, tx, actor, id); err != nil {
			return err
		}
		uses, err := tx.Media().Uses(ctx, actor.CompanyID, id, 1000)
		if err != nil {
			return err
		}
		blocking := 0
		for _, u := range uses {
			if u.Blocks() {
				blocking++
			}
		}
		if blocking > 0 {
			what := "a post that is"
			if blocking > 1 {
				what = fmt.Sprintf("%d posts that are", blocking)
			}
			return domain.Errorf(domain.CodeConflict, "%s is used by %s yet to go out; unschedule or change %s first.",
				m.Name, what, itThem(blocking))
		}
		if err := tx.Media().Delete(ctx, actor.CompanyID, id); err != nil {
			return err
		}
		if err := tx.Jobs().PurgeMedia(ctx, actor.CompanyID, []string{m.FileKey(), m.ThumbKey()}); err != nil {
			return err
		}
		return tx.Audit().Record(ctx, domain.AuditEntry{CompanyID: actor.CompanyID, ActorID: actor.UserID, IP: actor.IP,
			Action: "media.deleted", Subject: string(m.ID), Details: map[string]string{"name": m.Name}, At: s.now()})
	})
	return err
}

// mine returns the file when the actor may change it: their own (media write), or
// anyone's (library write).
func (s *Media) mine(ctx context.Context, tx ports.Tx, actor domain.Actor, id domain.MediaID) (domain.Media, error) {
	if err := s.authz.Can(ctx, actor, domain.ResourceMedia, domain.ActionWrite); err != nil {
		return domain.Media{}, err
	}
	m, err := tx.Media().Get(ctx, actor.CompanyID, id)
	if err != nil {
		return domain.Media{}, err
	}
	if m.CreatedBy != actor.UserID {
		if err := s.authz.Can(ctx, actor, domain.ResourceLibrary, domain.ActionWrite); err != nil {
			return domain.Media{}, domain.Errorf(domain.CodeForbidden, "Only admins and owners change or delete files other members uploaded.")
		}
	}
	return m, nil
}

// Purge deletes stored bytes: the keys given, or every file of the company when keys is
// empty (the company was deleted). It is the purge job's work, retried until storage
// answers.
func (s *Media) Purge(ctx context.Context, company domain.CompanyID, keys []string) error {
	if !s.Enabled() {
		return nil
	}
	if len(keys) == 0 {
		return s.storage.DeletePrefix(ctx, domain.StoragePrefix(company))
	}
	var errs []error
	for _, k := range keys {
		if !strings.HasPrefix(k, domain.StoragePrefix(company)) {
			return fmt.Errorf("media: purge %q: not a key of company %s", k, company)
		}
		errs = append(errs, s.storage.Delete(ctx, k))
	}
	return errors.Join(errs...)
}

// URL returns a signed address of the file's bytes, valid for domain.MediaURLTTL.
func (s *Media) URL(m domain.Media) string { return s.signer.url(m, fileBytes, s.now()) }

// ThumbURL returns a signed address of the file's preview, or "" when it has none.
func (s *Media) ThumbURL(m domain.Media) string {
	if !m.HasThumb {
		return ""
	}
	return s.signer.url(m, filePreview, s.now())
}

// PlatformURL is the address handed to a platform that fetches the file: the storage's
// own presigned address when configured so, else URL.
func (s *Media) PlatformURL(ctx context.Context, m domain.Media) (string, error) {
	if s.direct {
		u, err := s.storage.SignedURL(ctx, m.FileKey(), domain.MediaURLTTL)
		if err != nil {
			return "", err
		}
		if u != "" {
			return u, nil
		}
	}
	return s.URL(m), nil
}

// ServedFile is a file opened for the signed-address route.
type ServedFile struct {
	Media  domain.Media
	Object ports.Object
	Type   string // the bytes' content type
	Name   string // the file name to offer
}

// OpenSigned opens the file a signed token names, for anyone holding the token (platforms
// fetching media carry no credentials). Errors: CodeNotFound for a bad, expired or
// revoked (deleted file) token, never saying which.
func (s *Media) OpenSigned(ctx context.Context, token string) (ServedFile, error) {
	notFound := domain.Errorf(domain.CodeNotFound, "This media address is not valid or has expired.")
	if !s.Enabled() {
		return ServedFile{}, notFound
	}
	ref, ok := s.signer.parse(token, s.now())
	if !ok {
		return ServedFile{}, notFound
	}
	var m domain.Media
	if err := s.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		m, err = tx.Media().Get(ctx, ref.company, ref.id)
		return err
	}); err != nil {
		if domain.CodeOf(err) == domain.CodeNotFound {
			return ServedFile{}, notFound
		}
		return ServedFile{}, err
	}
	key, ctype, name := m.FileKey(), m.MIMEType, m.Name
	if ref.part == filePreview {
		if !m.HasThumb {
			return ServedFile{}, notFound
		}
		key, ctype, name = m.ThumbKey(), "image/jpeg", strings.TrimSuffix(m.Name, domain.LibraryTypes[m.MIMEType])+"-preview.jpg"
	}
	obj, err := s.storage.Open(ctx, key)
	if err != nil {
		if domain.CodeOf(err) == domain.CodeNotFound {
			return ServedFile{}, notFound
		}
		return ServedFile{}, err
	}
	return ServedFile{Media: m, Object: obj, Type: ctype, Name: name}, nil
}

// forTarget returns the target's library files as its platform takes them, in order.
// CodeInvalid when one is no longer in the library (deleted while the post waited) or the
// library is not configured any more: the post cannot go out as it was written.
func (s *Media) forTarget(ctx context.Context, post domain.Post, t domain.Target) ([]ports.PublicationMedia, error) {
	ids := post.MediaFor(t)
	if len(ids) == 0 {
		return nil, nil
	}
	if !s.Enabled() {
		return nil, domain.Errorf(domain.CodeInvalid, "This post has files from the media library, which is not configured on this Herald any more.")
	}
	var library map[domain.MediaID]domain.Media
	if err := s.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		library, err = tx.Media().GetMany(ctx, post.CompanyID, ids)
		return err
	}); err != nil {
		return nil, err
	}
	files := make([]domain.Media, 0, len(ids))
	for _, id := range ids {
		m, ok := library[id]
		if !ok {
			return nil, domain.Errorf(domain.CodeInvalid, "A file of this post is no longer in the media library; edit the post and choose its media again.")
		}
		files = append(files, m)
	}
	return s.publicationMedia(ctx, files)
}

// publicationMedia returns the target's library files as a platform takes them: facts,
// alt text, an address to fetch and a stream of the stored bytes.
func (s *Media) publicationMedia(ctx context.Context, files []domain.Media) ([]ports.PublicationMedia, error) {
	out := make([]ports.PublicationMedia, 0, len(files))
	for _, m := range files {
		u, err := s.PlatformURL(ctx, m)
		if err != nil {
			return nil, err
		}
		key := m.FileKey()
		out = append(out, ports.PublicationMedia{Kind: m.Kind(), MIMEType: m.MIMEType, Size: m.Size, Width: m.Width, Height: m.Height,
			Duration: m.Duration, Name: m.Name, Alt: m.Alt, URL: u,
			Open: func(ctx context.Context) (io.ReadCloser, error) { return s.storage.Open(ctx, key) }})
	}
	return out, nil
}

// Which part of a file a signed address serves.
const (
	fileBytes   byte = 'f'
	filePreview byte = 'p'
)

// mediaSigner makes and checks the signed addresses of library files: the company, the
// file, the part and the expiry, under an HMAC-SHA256 of Herald's own key. Expiry is
// rounded up to the hour so a page's addresses stay the same for a while (browsers cache
// previews).
type mediaSigner struct {
	key     []byte
	fileURL func(string) string
}

type mediaRef struct {
	company domain.CompanyID
	id      domain.MediaID
	part    byte
}

func (g mediaSigner) url(m domain.Media, part byte, now time.Time) string {
	exp := now.Add(domain.MediaURLTTL).Truncate(time.Hour).Add(time.Hour).Unix()
	payload := make([]byte, 0, 90)
	payload = append(payload, part)
	payload = binary.BigEndian.AppendUint64(payload, uint64(exp))
	payload = append(payload, string(m.CompanyID)+"/"+string(m.ID)...)
	mac := hmac.New(sha256.New, g.key)
	mac.Write(payload)
	token := base64.RawURLEncoding.EncodeToString(payload) + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil)[:20])
	name := m.Name
	if part == filePreview {
		name = "preview.jpg"
	}
	u := token + "/" + urlPathEscape(name)
	if g.fileURL != nil {
		return g.fileURL(u)
	}
	return u
}

func (g mediaSigner) parse(token string, now time.Time) (mediaRef, bool) {
	token, _, _ = strings.Cut(token, "/") // the file name after the token is for people
	p, sig, ok := strings.Cut(token, ".")
	if !ok || len(g.key) == 0 {
		return mediaRef{}, false
	}
	payload, err1 := base64.RawURLEncoding.DecodeString(p)
	got, err2 := base64.RawURLEncoding.DecodeString(sig)
	if err1 != nil || err2 != nil || len(payload) < 10 {
		return mediaRef{}, false
	}
	mac := hmac.New(sha256.New, g.key)
	mac.Write(payload)
	if !hmac.Equal(got, mac.Sum(nil)[:20]) {
		return mediaRef{}, false
	}
	exp := time.Unix(int64(binary.BigEndian.Uint64(payload[1:9])), 0)
	if !now.Before(exp) {
		return mediaRef{}, false
	}
	company, id, ok := strings.Cut(string(payload[9:]), "/")
	if !ok || (payload[0] != fileBytes && payload[0] != filePreview) {
		return mediaRef{}, false
	}
	return mediaRef{company: domain.CompanyID(company), id: domain.MediaID(id), part: payload[0]}, true
}

// urlPathEscape escapes a file name for one path segment.
func urlPathEscape(name string) string {
	var b strings.Builder
	for _, c := range []byte(name) {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func hashFile(f *os.File) (int64, []byte, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return 0, nil, err
	}
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, nil, fmt.Errorf("media: read the upload: %w", err)
	}
	return n, h.Sum(nil), nil
}

func removeFile(f *os.File) {
	f.Close()
	os.Remove(f.Name())
}

// readError turns a failure to read the uploaded body into the person's problem: the
// connection ended (CodeBadRequest), or the server's disk (kept for the log).
func readError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("media: spool: %w", err)
	}
	return &domain.Error{Code: domain.CodeBadRequest, Message: "The upload ended before the whole file arrived; try again.", Err: err}
}

func itThem(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}
