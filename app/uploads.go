package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// Resumable uploads (the tus protocol, served by the JSON API): a large file is sent in
// parts, each appended to a spool file named by the upload's id, so a dropped connection
// costs only the part in flight. The offset, the bytes that arrived, is the spool file's
// size: the file is synced before a part is acknowledged, so an offset once answered
// survives a crash. The file is locked while a part is written, so two parts sent at once
// cannot interleave. The last part turns the file into a library file (UploadFile).

// uploadBuffer is the copy buffer of a part: large enough for few system calls, small
// enough that many parallel uploads take little memory (bodies are never held whole).
const uploadBuffer = 256 << 10

// uploadFilePrefix names spool files of resumable uploads, so the sweeper finds orphans.
const uploadFilePrefix = "tus-"

// UploadProgress is a resumable upload and how many of its bytes arrived. Media is the
// library file the upload became, set by the part that completed it.
type UploadProgress struct {
	Upload domain.Upload
	Offset int64
	Media  *domain.Media
}

// CreateUpload starts a resumable upload of a file of length bytes, named name (shown
// only; the type is read from the bytes), with its alt text.
// Errors: those of CheckUpload (CodeForbidden, CodeSuspended, CodeTooLarge, CodeUnavailable);
// CodeInvalid for an empty file or bad alt text.
func (s *Media) CreateUpload(ctx context.Context, actor domain.Actor, length int64, name, alt string) (domain.Upload, error) {
	u, err := domain.NewUpload(actor.CompanyID, actor.UserID, length, name, alt, s.now())
	if err != nil {
		return domain.Upload{}, err
	}
	if err := s.CheckUpload(ctx, actor, length); err != nil {
		return domain.Upload{}, err
	}
	err = s.store.InTx(ctx, func(tx ports.Tx) error {
		if err := tx.Uploads().Create(ctx, &u); err != nil {
			return err
		}
		// Created within the transaction: a row never exists without its file.
		f, err := os.OpenFile(s.uploadPath(u.ID), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return fmt.Errorf("media: create the upload's file: %w", err)
		}
		return f.Close()
	})
	return u, err
}

// UploadState returns the actor's upload and how many bytes arrived.
// Errors: CodeForbidden; CodeNotFound (also another company's or another person's);
// CodeGone once it expired.
func (s *Media) UploadState(ctx context.Context, actor domain.Actor, id domain.UploadID) (UploadProgress, error) {
	if err := s.authz.Can(ctx, actor, domain.ResourceMedia, domain.ActionWrite); err != nil {
		return UploadProgress{}, err
	}
	u, err := s.findUpload(ctx, actor, id)
	if err != nil {
		return UploadProgress{}, err
	}
	if u.Expired(s.now()) {
		return UploadProgress{}, domain.Errorf(domain.CodeGone, "This upload expired; upload the file again.")
	}
	n, err := s.uploadOffset(u)
	return UploadProgress{Upload: u, Offset: n}, err
}

// AppendUpload writes the part read from body to the actor's upload at offset, which
// must be the bytes that arrived so far. A body that breaks off midway keeps what arrived.
// When the last byte arrives the file becomes a library file (Media is set), or, when
// Herald refuses it, the upload is deleted and the refusal returned.
// Errors: CodeForbidden; CodeNotFound; CodeGone (expired, or its bytes are gone);
// CodeConflict (offset is not the upload's, or another part is being written);
// CodeTooLarge (past the upload's length); CodeBadRequest (the body broke off); and
// those of UploadFile at the end.
func (s *Media) AppendUpload(ctx context.Context, actor domain.Actor, id domain.UploadID, offset int64, body io.Reader) (UploadProgress, error) {
	u, err := s.UploadState(ctx, actor, id)
	if err != nil {
		return UploadProgress{}, err
	}
	p := UploadProgress{Upload: u.Upload}
	f, release, err := s.openUpload(p.Upload)
	if err != nil {
		return p, err
	}
	defer release()
	st, err := f.Stat()
	if err != nil {
		return p, fmt.Errorf("media: upload: %w", err)
	}
	p.Offset = st.Size()
	if offset != p.Offset {
		return p, domain.Errorf(domain.CodeConflict, "Upload-Offset is %d but %d bytes of this upload arrived; send the part from %d.", offset, p.Offset, p.Offset)
	}
	if p.Offset < p.Upload.Length {
		n, err := appendPart(f, p.Upload.Length-p.Offset, body)
		p.Offset += n
		if err != nil {
			return p, err
		}
	}
	if p.Offset < p.Upload.Length {
		return p, nil
	}
	// Every byte is here: the file is stored even if the client goes away now, and, still
	// under the lock so a repeated last part cannot store it twice, the upload ends
	// whatever the outcome (UploadFile removes the file).
	ctx = context.WithoutCancel(ctx)
	m, err := s.UploadFile(ctx, actor, p.Upload.Name, p.Upload.Alt, f.Name())
	if derr := s.store.InTx(ctx, func(tx ports.Tx) error { return tx.Uploads().Delete(ctx, p.Upload.CompanyID, p.Upload.ID) }); derr != nil {
		s.log.Warn("media: delete a finished upload", "upload", p.Upload.ID, "err", derr) // its file is gone: HEAD answers 410, the sweep deletes it
	}
	if err != nil {
		return p, err
	}
	p.Media = &m
	return p, nil
}

// openUpload opens the upload's file for appending under its lock: one request at a time
// writes to an upload. The lock is a lock on the file, not a database row, so a part that
// takes minutes holds no database connection. Call release when done.
// Errors: CodeConflict when another request holds it; CodeGone when the file is gone.
func (s *Media) openUpload(u domain.Upload) (*os.File, func(), error) {
	f, err := os.OpenFile(s.uploadPath(u.ID), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return nil, nil, s.missingFile(u, err)
	}
	unlock, ok, err := lockUpload(f)
	if err != nil || !ok {
		f.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("media: lock the upload: %w", err)
		}
		return nil, nil, domain.Errorf(domain.CodeConflict, "Another part of this upload is being written; try again when it ends.")
	}
	return f, func() { unlock(); f.Close() }, nil
}

// appendPart copies at most max bytes of body to the end of f and syncs what arrived, also
// when body broke off. It returns the bytes written.
func appendPart(f *os.File, max int64, body io.Reader) (int64, error) {
	// Read one byte past max to tell a part that is too long; it is never written.
	lr := &io.LimitedReader{R: body, N: max + 1}
	n, copyErr := io.CopyBuffer(f, io.LimitReader(lr, max), make([]byte, uploadBuffer))
	if syncErr := f.Sync(); syncErr != nil {
		return 0, fmt.Errorf("media: sync the upload: %w", syncErr)
	}
	if copyErr != nil {
		return n, readError(copyErr)
	}
	if extra, _ := lr.Read(make([]byte, 1)); extra > 0 {
		return n, domain.Errorf(domain.CodeTooLarge, "The part goes past the upload's length; the bytes up to it were kept.")
	}
	return n, nil
}

// DeleteUpload ends the actor's upload and deletes the bytes that arrived.
// Errors: CodeForbidden; CodeNotFound; CodeConflict while a part is being written.
func (s *Media) DeleteUpload(ctx context.Context, actor domain.Actor, id domain.UploadID) error {
	if err := s.authz.Can(ctx, actor, domain.ResourceMedia, domain.ActionWrite); err != nil {
		return err
	}
	u, err := s.findUpload(ctx, actor, id)
	if err != nil {
		return err
	}
	_, release, err := s.openUpload(u)
	switch {
	case domain.CodeOf(err) == domain.CodeGone:
		release = func() {} // nothing arrived to delete
	case err != nil:
		return err
	}
	defer release()
	if err := s.store.InTx(ctx, func(tx ports.Tx) error { return tx.Uploads().Delete(ctx, u.CompanyID, u.ID) }); err != nil {
		return err
	}
	return s.removeUploadFile(u.ID)
}

// SweepUploads deletes expired uploads with their bytes, and spool files no upload owns
// any more (their company or person was deleted) once they are older than an upload may
// live. It returns how many uploads went.
func (s *Media) SweepUploads(ctx context.Context) (int, error) {
	if !s.Enabled() {
		return 0, nil
	}
	n := 0
	for {
		var gone []domain.Upload
		err := s.store.InTx(ctx, func(tx ports.Tx) error {
			var err error
			if gone, err = tx.Uploads().DeleteExpired(ctx, s.now(), 500); err != nil {
				return err
			}
			var errs []error
			for _, u := range gone {
				errs = append(errs, s.removeUploadFile(u.ID))
			}
			return errors.Join(errs...)
		})
		if err != nil {
			return n, err
		}
		n += len(gone)
		if len(gone) < 500 {
			break
		}
	}
	return n, s.removeOrphanFiles()
}

// removeOrphanFiles deletes upload files last written before any live upload could have
// begun: every upload expires UploadTTL after it started, and its file is never older.
func (s *Media) removeOrphanFiles() error {
	dir := s.uploadDir()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("media: read the spool: %w", err)
	}
	cutoff := s.now().Add(-domain.UploadTTL)
	var errs []error
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), uploadFilePrefix) || !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil || !info.ModTime().Before(cutoff) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// findUpload returns the actor's own upload: another person's, even in the same company,
// is not found, for the upload's address is all a request names. Errors: CodeNotFound.
func (s *Media) findUpload(ctx context.Context, actor domain.Actor, id domain.UploadID) (domain.Upload, error) {
	var u domain.Upload
	err := s.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		u, err = tx.Uploads().Get(ctx, actor.CompanyID, id)
		return err
	})
	if err != nil {
		return domain.Upload{}, err
	}
	if u.UserID != actor.UserID {
		return domain.Upload{}, domain.Errorf(domain.CodeNotFound, "That upload does not exist.")
	}
	return u, nil
}

// uploadOffset is how many bytes of u arrived: its file's size.
func (s *Media) uploadOffset(u domain.Upload) (int64, error) {
	st, err := os.Stat(s.uploadPath(u.ID))
	if err != nil {
		return 0, s.missingFile(u, err)
	}
	return st.Size(), nil
}

// missingFile explains a spool file that cannot be opened: gone (Herald moved to another
// disk or server, or the file was cleaned away) is the person's problem to start again.
func (s *Media) missingFile(u domain.Upload, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return &domain.Error{Code: domain.CodeGone, Message: "The bytes of this upload are no longer on the server; upload the file again.", Err: err}
	}
	return fmt.Errorf("media: upload %s: %w", u.ID, err)
}

func (s *Media) removeUploadFile(id domain.UploadID) error {
	if err := os.Remove(s.uploadPath(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("media: delete the upload's file: %w", err)
	}
	return nil
}

func (s *Media) uploadDir() string {
	if s.spool == "" {
		return os.TempDir()
	}
	return s.spool
}

// uploadPath is the spool file of an upload. Ids come from the database (UUIDs), never
// from the request alone: a row was found before any path is built from one.
func (s *Media) uploadPath(id domain.UploadID) string {
	return filepath.Join(s.uploadDir(), uploadFilePrefix+string(id))
}
