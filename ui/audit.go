package ui

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// auditPage is the audit log page: the filter form, one page of entries and the next link.
type auditPage struct {
	All      bool // the operator's view of every company
	Query    app.AuditQuery
	Families []app.AuditFamily
	People   []domain.Member // the actor picker (a company's view)
	Entries  []auditRow
	Next     string
	Message  string
	Errors   map[string]string
}

// auditRow is one entry as the page shows it.
type auditRow struct {
	domain.AuditEntry
	Who     string
	Details []string // "key: value", sorted
}

// auditLog handles GET /audit: the company's log, for owners and admins.
func (h *Handler) auditLog(c echo.Context) error {
	p := auditPage{Families: app.AuditFamilies}
	if t, err := h.Teams.Members(c.Request().Context(), actorOf(c)); err == nil {
		p.People = t.Members
	}
	return h.renderAudit(c, routePath("audit"), p, h.Audit.Company)
}

// allAuditLog handles GET /admin/audit: every company's log, for superadmins.
func (h *Handler) allAuditLog(c echo.Context) error {
	return h.renderAudit(c, routePath("admin.audit"), auditPage{All: true, Families: app.AuditFamilies}, h.Audit.All)
}

func (h *Handler) renderAudit(c echo.Context, base string, p auditPage, list func(ctx context.Context, actor domain.Actor, q app.AuditQuery, zone *time.Location, page ports.Page) ([]domain.AuditEntry, string, error)) error {
	p.Query = app.AuditQuery{Action: c.QueryParam("action"), Actor: c.QueryParam("actor"), From: c.QueryParam("from"),
		To: c.QueryParam("to"), Company: c.QueryParam("company")}
	limit, _ := strconv.Atoi(c.QueryParam("limit"))
	page, err := app.Page(limit, c.QueryParam("cursor"), c.QueryParam("limit") != "")
	if err != nil {
		return err
	}
	es, next, err := list(c.Request().Context(), actorOf(c), p.Query, zoneOf(c), page)
	switch domain.CodeOf(err) {
	case "":
	case domain.CodeInvalid:
		p.Message, p.Errors = domain.MessageOf(err), domain.FieldsOf(err)
		return h.page(c, formStatus(c, err), pageAudit, p)
	default:
		return err
	}
	for _, e := range es {
		r := auditRow{AuditEntry: e, Who: "Herald"}
		switch {
		case e.ActorName != "":
			r.Who = e.ActorName
		case e.ActorID != "":
			r.Who = "a deleted user"
		}
		for k, v := range e.Details {
			r.Details = append(r.Details, strings.ReplaceAll(k, "_", " ")+": "+v)
		}
		sort.Strings(r.Details)
		p.Entries = append(p.Entries, r)
	}
	if next != "" {
		q := url.Values{"cursor": {next}}
		for k, v := range map[string]string{"action": p.Query.Action, "actor": p.Query.Actor, "from": p.Query.From, "to": p.Query.To, "company": p.Query.Company} {
			if v != "" {
				q.Set(k, v)
			}
		}
		p.Next = base + "?" + q.Encode()
	}
	return h.page(c, http.StatusOK, pageAudit, p)
}
