package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// auditEntryJSON is one audit log entry. The actor is null for what the system did.
type auditEntryJSON struct {
	ID        int64             `json:"id"`
	CompanyID *string           `json:"company_id"`
	Actor     *auditActorJSON   `json:"actor"`
	IP        *string           `json:"ip"`
	Action    string            `json:"action"`
	Subject   string            `json:"subject"`
	Details   map[string]string `json:"details"`
	CreatedAt time.Time         `json:"created_at"`
}

type auditActorJSON struct {
	ID    string `json:"id"`
	Email string `json:"email,omitempty"`
	Name  string `json:"name,omitempty"`
}

func toAuditEntry(e domain.AuditEntry) auditEntryJSON {
	out := auditEntryJSON{ID: e.ID, Action: e.Action, Subject: e.Subject, Details: e.Details, CreatedAt: e.At.UTC()}
	if out.Details == nil {
		out.Details = map[string]string{}
	}
	if e.CompanyID != "" {
		s := string(e.CompanyID)
		out.CompanyID = &s
	}
	if e.ActorID != "" {
		out.Actor = &auditActorJSON{ID: string(e.ActorID), Email: e.ActorEmail, Name: e.ActorName}
	}
	if e.IP != "" {
		out.IP = &e.IP
	}
	return out
}

// auditQuery reads the audit log filter from the query string.
func auditQuery(c echo.Context) app.AuditQuery {
	return app.AuditQuery{Action: c.QueryParam("action"), Actor: c.QueryParam("actor"),
		From: c.QueryParam("from"), To: c.QueryParam("to"), Company: c.QueryParam("company_id")}
}

// listAudit handles GET /audit: the company's audit log (owners and admins).
func (a *API) listAudit(c echo.Context) error {
	return a.auditPage(c, a.audit.Company)
}

// listAllAudit handles GET /admin/audit: every company's audit log (superadmins).
func (a *API) listAllAudit(c echo.Context) error {
	return a.auditPage(c, a.audit.All)
}

func (a *API) auditPage(c echo.Context, list func(ctx context.Context, actor domain.Actor, q app.AuditQuery, zone *time.Location, page ports.Page) ([]domain.AuditEntry, string, error)) error {
	page, err := pageOf(c)
	if err != nil {
		return err
	}
	es, next, err := list(c.Request().Context(), actor(c), auditQuery(c), time.UTC, page)
	if err != nil {
		return err
	}
	out := make([]auditEntryJSON, len(es))
	for i, e := range es {
		out[i] = toAuditEntry(e)
	}
	return c.JSON(http.StatusOK, newList(out, next))
}
