package ui

import "github.com/heraldhq/herald/domain"

// targetLabel is one of a post's targets as pages and exports name it: by its account,
// since a company may have several accounts on one platform.
type targetLabel struct {
	Name     string // the account's display name, or "Disconnected account"
	Platform domain.Platform
	Status   domain.TargetStatus
}

// Targets labels the post's targets with their accounts' names, in the post's order.
func (n accountNames) Targets(p domain.Post) []targetLabel {
	out := make([]targetLabel, len(p.Targets))
	for i, t := range p.Targets {
		out[i] = targetLabel{Name: n.Name(t.AccountID), Platform: t.Platform, Status: t.Status()}
	}
	return out
}
