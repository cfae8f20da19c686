package domain

import (
	"strings"
	"time"
	"unicode/utf8"
)

// UploadID identifies a resumable upload in progress.
type UploadID string

// UploadTTL is how long a resumable upload may take from its creation: a day is enough
// to resume after a dropped connection or a laptop's sleep, and bounds how long the
// spooled bytes of an abandoned upload take Herald's disk.
const UploadTTL = 24 * time.Hour

// Upload is a file a person sends to the media library in parts (the tus protocol). The
// bytes that arrived wait on Herald's disk; how many arrived is the upload's offset. Once
// Length bytes are there the file becomes a library file and the upload ends.
type Upload struct {
	ID        UploadID
	CompanyID CompanyID
	UserID    UserID
	Length    int64  // the whole file's size in bytes
	Name      string // the file's name as the person gave it
	Alt       string
	ExpiresAt time.Time
	CreatedAt time.Time
}

// NewUpload returns an upload of length bytes started at now, expiring UploadTTL later.
// It returns CodeInvalid for an empty file, a name that is not text, or alt text
// CheckAlt refuses. The name is cleaned when the file enters the library.
func NewUpload(company CompanyID, user UserID, length int64, name, alt string, now time.Time) (Upload, error) {
	if length <= 0 {
		return Upload{}, &Error{Code: CodeInvalid, Message: "The file is empty.", Fields: map[string]string{"Upload-Length": "must be more than 0"}}
	}
	if !utf8.ValidString(name) || strings.ContainsRune(name, 0) || len(name) > 4*MaxMediaNameRunes {
		return Upload{}, &Error{Code: CodeInvalid, Message: "The file name must be UTF-8 text without NUL characters, at most 800 bytes long.", Fields: map[string]string{"filename": "is not a usable file name"}}
	}
	alt, err := CheckAlt(alt)
	if err != nil {
		return Upload{}, err
	}
	now = now.UTC()
	return Upload{CompanyID: company, UserID: user, Length: length, Name: name, Alt: alt, CreatedAt: now, ExpiresAt: now.Add(UploadTTL)}, nil
}

// Expired reports whether the upload can no longer be resumed at now.
func (u Upload) Expired(now time.Time) bool { return !now.Before(u.ExpiresAt) }
