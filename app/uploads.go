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
// survives a crash. The upload's row is locked while a part is written, so two parts sent
// at once cannot interleave. The last part turns the file into a library file (UploadFile).

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
	var u domain.Upload
	if err := s.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		u, err = s.ownUpload(ctx, tx.Uploads().Get, actor, id)
		return err
	}); err != nil {
		return UploadProgress{}, err
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
	if err := s.authz.Can(ctx, actor, domain.ResourceMedia, domain.ActionWrite); err != nil {
		return UploadProgress{}, err
	}
	var p UploadProgress
	var finish error
	err := s.store.InTx(ctx, func(tx ports.Tx) error {
		u, err := s.ownUpload(ctx, tx.Uploads().Lock, actor, id)
		if err != nil {
			return err
		}
		p.Upload = u
		if p.Offset, err = s.uploadOffset(u); err != nil {
			return err
		}
		if offset != p.Offset {
			return domain.Errorf(domain.CodeConflict, "Upload-Offset is %d but %d bytes of this upload arrived; send the part from %d.", offset, p.Offset, p.Offset)
		}
		if p.Offset < u.Length {
			n, err := s.appendPart(u, body)
			p.Offset += n
			if err != nil {
				return err
			}
		}
		if p.Offset < u.Length {
			return nil
		}
		// Complete while the row is locked, so a repeated last part cannot store the file
		// twice; whatever the outcome, the upload ends (UploadFile removes the file).
		m, err := s.UploadFile(ctx, actor, u.Name, u.Alt, s.uploadPath(u.ID))
		if err == nil {
			p.Media = &m
		}
		finish = err
		return tx.Uploads().Delete(ctx, u.CompanyID, u.ID)
	})
	if err != nil {
		return p, err
	}
	return p, finish
}

// appendPart copies body to the end of the upload's file, no further than its length,
// and syncs what arrived, also when body broke off. It returns the bytes written.
func (s *Media) appendPart(u domain.Upload, body io.Reader) (int64, error) {
	f, err := os.OpenFile(s.uploadPath(u.ID), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return 0, s.missingFile(u, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("media: upload: %w", err)
	}
	// Read one byte past the length to tell a part that is too long; it is never written.
	lr := &io.LimitedReader{R: body, N: u.Length - st.Size() + 1}
	n, copyErr := io.CopyBuffer(f, io.LimitReader(lr, u.Length-st.Size()), make([]byte, uploadBuffer))
	if syncErr := f.Sync(); syncErr != nil {
		return 0, fmt.Errorf("media: sync the upload: %w", syncErr)
	}
	if copyErr != nil {
		return n, readError(copyErr)
	}
	if extra, _ := lr.R.Read(make([]byte, 1)); extra > 0 {
		return n, domain.Errorf(domain.CodeTooLarge, "The part goes past the upload's length of %d bytes; the bytes up to it were kept.", u.Length)
	}
	return n, nil
}

// DeleteUpload ends the actor's upload and deletes the bytes that arrived.
// Errors: CodeForbidden; CodeNotFound; CodeConflict while a part is being written.
func (s *Media) DeleteUpload(ctx context.Context, actor domain.Actor, id domain.UploadID) error {
	if err := s.authz.Can(ctx, actor, domain.ResourceMedia, domain.ActionWrite); err != nil {
		return err
	}
	return s.store.InTx(ctx, func(tx ports.Tx) error {
		u, err := s.ownUploadAnyTime(ctx, tx.Uploads().Lock, actor, id)
		if err != nil {
			return err
		}
		if err := tx.Uploads().Delete(ctx, u.CompanyID, u.ID); err != nil {
			return err
		}
		return s.removeUploadFile(u.ID)
	})
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

// ownUpload finds the actor's own upload with find (Get or Lock): another person's, even
// in the same company, is not found, for the upload's address is all a request names.
// An expired one is CodeGone.
func (s *Media) ownUpload(ctx context.Context, find func(context.Context, domain.CompanyID, domain.UploadID) (domain.Upload, error), actor domain.Actor, id domain.UploadID) (domain.Upload, error) {
	u, err := s.ownUploadAnyTime(ctx, find, actor, id)
	if err != nil {
		return domain.Upload{}, err
	}
	if u.Expired(s.now()) {
		return domain.Upload{}, domain.Errorf(domain.CodeGone, "This upload expired; upload the file again.")
	}
	return u, nil
}

func (s *Media) ownUploadAnyTime(ctx context.Context, find func(context.Context, domain.CompanyID, domain.UploadID) (domain.Upload, error), actor domain.Actor, id domain.UploadID) (domain.Upload, error) {
	u, err := find(ctx, actor.CompanyID, id)
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
