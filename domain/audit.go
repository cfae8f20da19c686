package domain

import (
	"context"
	"net/netip"
	"time"
)

// AuditEntry records who did what, for a company's (or the operator's) later reading.
type AuditEntry struct {
	ID        int64
	CompanyID CompanyID // empty for actions outside one company
	ActorID   UserID    // empty for the system
	IP        string    // the address the person acted from; empty for the system
	Action    string    // such as "member.added"
	Subject   string    // the id acted on
	Details   map[string]string
	At        time.Time
	// ActorEmail and ActorName are read back with the entry, for people to read; empty
	// for the system or a person whose account was deleted.
	ActorEmail string
	ActorName  string
}

// AuditFilter narrows an audit log listing. Zero fields do not filter.
type AuditFilter struct {
	CompanyID CompanyID // required for company readers; empty means every company (operators only)
	ActorID   UserID
	Action    string // an exact action, or a prefix ending in "." such as "post."
	From, To  time.Time
}

type clientIPKey struct{}

// WithClientIP returns ctx carrying the address a person's request came from, so every
// audit entry recorded while serving it says where the change came from.
func WithClientIP(ctx context.Context, ip string) context.Context {
	if _, err := netip.ParseAddr(ip); err != nil {
		return ctx
	}
	return context.WithValue(ctx, clientIPKey{}, ip)
}

// ClientIP returns the address WithClientIP put in ctx, or "".
func ClientIP(ctx context.Context) string {
	ip, _ := ctx.Value(clientIPKey{}).(string)
	return ip
}
