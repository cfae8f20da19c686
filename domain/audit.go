package domain

import "time"

// AuditEntry records who did what, for a company's (or the operator's) later reading.
type AuditEntry struct {
	CompanyID CompanyID // empty for actions outside one company
	ActorID   UserID    // empty for the system
	Action    string    // such as "member.added"
	Subject   string    // the id acted on
	Details   map[string]string
	At        time.Time
}
