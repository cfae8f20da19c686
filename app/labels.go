package app

import (
	"context"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// Labels returns the labels the actor's company's posts carry (one spelling of each,
// regardless of case) with how many posts carry each, for label filters.
// Errors: CodeForbidden.
func (s *Posts) Labels(ctx context.Context, actor domain.Actor) ([]ports.LabelCount, error) {
	if err := s.authz.Can(ctx, actor, domain.ResourcePosts, domain.ActionRead); err != nil {
		return nil, err
	}
	var out []ports.LabelCount
	err := s.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		out, err = tx.Posts().Labels(ctx, actor.CompanyID)
		return err
	})
	return out, err
}
