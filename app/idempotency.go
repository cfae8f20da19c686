package app

import (
	"bytes"
	"context"
	"time"
	"unicode/utf8"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// IdempotencyWindow is how long a POST's answer is replayed for the same Idempotency-Key.
const IdempotencyWindow = 24 * time.Hour

// Idempotency makes repeated POSTs safe: the same user, key and request get the first answer
// again and nothing new is created.
type Idempotency struct {
	store ports.Store
	now   func() time.Time
}

// NewIdempotency returns the idempotency use cases; now is time.Now outside tests.
func NewIdempotency(store ports.Store, now func() time.Time) *Idempotency {
	return &Idempotency{store: store, now: now}
}

// Begin claims key for the user's request identified by fingerprint. It returns nil, nil
// when the request should run (then call Finish or Abandon), or the first answer to replay.
// Errors: CodeBadRequest (malformed key), CodeInvalid (the key was used for another
// request), CodeConflict (the first request is still running).
func (i *Idempotency) Begin(ctx context.Context, user domain.UserID, key string, fingerprint []byte) (*ports.StoredAnswer, error) {
	if len(key) > 255 || !utf8.ValidString(key) {
		return nil, domain.Errorf(domain.CodeBadRequest, "The Idempotency-Key header must be at most 255 characters of text.")
	}
	now := i.now()
	var prior ports.StoredAnswer
	var claimed bool
	err := i.store.InTx(ctx, func(tx ports.Tx) error {
		var err error
		prior, claimed, err = tx.IdempotencyKeys().Claim(ctx, user, key, fingerprint, now, now.Add(-IdempotencyWindow))
		return err
	})
	switch {
	case err != nil:
		return nil, err
	case claimed:
		return nil, nil
	case !bytes.Equal(prior.Fingerprint, fingerprint):
		return nil, &domain.Error{Code: domain.CodeInvalid, Message: "This Idempotency-Key was already used for a different request.",
			Fields: map[string]string{"Idempotency-Key": "was used for a different request in the last 24 hours"}}
	case prior.Status == 0:
		return nil, domain.Errorf(domain.CodeConflict, "A request with this Idempotency-Key is still being processed; retry shortly.")
	}
	return &prior, nil
}

// Finish stores the answer of a request Begin let run.
func (i *Idempotency) Finish(ctx context.Context, user domain.UserID, key string, a ports.StoredAnswer) error {
	return i.store.InTx(ctx, func(tx ports.Tx) error { return tx.IdempotencyKeys().Complete(ctx, user, key, a) })
}

// Abandon forgets a claim whose request failed on the server's side, so a retry runs again.
func (i *Idempotency) Abandon(ctx context.Context, user domain.UserID, key string) error {
	return i.store.InTx(ctx, func(tx ports.Tx) error { return tx.IdempotencyKeys().Release(ctx, user, key) })
}
