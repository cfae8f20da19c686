package queue

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"riverqueue.com/riverui"
)

// Dashboard returns River UI over this queue's jobs, serving its pages and its JSON API
// under prefix (such as "/admin/jobs"), and the function that runs its background work
// (caches, refreshers) until its context ends. It does no access control of its own: the
// caller mounts it behind the superadmin guard. It returns an error when River UI rejects
// the configuration.
func (q *Queue) Dashboard(prefix string, log *slog.Logger) (http.Handler, func(context.Context) error, error) {
	h, err := riverui.NewHandler(&riverui.HandlerOpts{
		Endpoints: riverui.NewEndpoints(q.client, nil),
		Logger:    log,
		Prefix:    prefix,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("queue: river ui: %w", err)
	}
	return h, h.Start, nil
}
