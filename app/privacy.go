package app

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// Privacy holds the GDPR use cases: an owner exports or deletes all of a company's data,
// and a person exports or deletes their own account.
type Privacy struct {
	store ports.Store
	authz ports.Authorizer
	media *Media // signs the export's download addresses of library files
	now   func() time.Time
	log   *slog.Logger
}

// NewPrivacy returns the GDPR use cases; now is time.Now outside tests.
func NewPrivacy(store ports.Store, authz ports.Authorizer, now func() time.Time, log *slog.Logger) *Privacy {
	return &Privacy{store: store, authz: authz, now: now, log: log}
}

// The formats of the archives, named in their "format" field.
const (
	CompanyExportFormat = "herald.company-export"
	UserExportFormat    = "herald.user-export"
	ExportVersion       = 1
)

// ExportCompany writes all of the actor's company's data as one JSON document
// (CompanyExportFormat) to the writer open returns, called once the actor may export and
// the company exists: the company and its settings, members, invitations, social accounts
// (never their tokens), posts with their targets, metrics snapshots, AI usage, the audit
// log, the media library's records and an address to download each file (media_files),
// read in one snapshot and streamed row by row. The export is audited (company.exported). Errors: CodeForbidden (owners only), CodeNotFound; an error after
// the first write means the writer holds a cut-off document, which does not parse.
func (p *Privacy) ExportCompany(ctx context.Context, actor domain.Actor, open func(domain.Company) io.Writer) error {
	if err := p.authz.Can(ctx, actor, domain.ResourceData, domain.ActionRead); err != nil {
		return err
	}
	var c domain.Company
	if err := p.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		c, err = tx.Companies().Get(ctx, actor.CompanyID)
		return err
	}); err != nil {
		return err
	}
	now := p.now()
	w := open(c)
	return p.store.InTx(ctx, func(tx ports.Tx) error {
		a := newArchive(w, CompanyExportFormat, now, "company_id", string(c.ID))
		if err := tx.Exports().Company(ctx, c.ID, a); err != nil {
			return err
		}
		if err := p.exportMediaFiles(ctx, tx, c.ID, a); err != nil {
			return err
		}
		if err := a.close(); err != nil {
			return err
		}
		return tx.Audit().Record(ctx, domain.AuditEntry{CompanyID: c.ID, ActorID: actor.UserID, IP: actor.IP, Action: "company.exported",
			Subject: string(c.ID), At: now, Details: map[string]string{"rows": strconv.Itoa(a.total)}})
	})
}

// exportMediaFiles writes the media_files section: for each ready file of the company's
// library, {"id","name","url"}, where url downloads its bytes until domain.MediaURLTTL
// has passed, so the export gives the files themselves and not only their records. The
// section is empty when the library is not configured (no file can be served).
func (p *Privacy) exportMediaFiles(ctx context.Context, tx ports.Tx, company domain.CompanyID, a *archive) error {
	if err := a.Section("media_files"); err != nil {
		return err
	}
	if !p.media.Enabled() {
		return nil
	}
	page := ports.Page{Limit: MaxPageSize}
	for {
		files, next, err := tx.Media().List(ctx, company, domain.MediaFilter{}, page)
		if err != nil {
			return err
		}
		for _, m := range files {
			row, err := json.Marshal(struct {
				ID   domain.MediaID `json:"id"`
				Name string         `json:"name"`
				URL  string         `json:"url"`
			}{m.ID, m.Name, p.media.URL(m)})
			if err != nil {
				return err
			}
			if err := a.Row(row); err != nil {
				return err
			}
		}
		if next == "" {
			return nil
		}
		page.Cursor = next
	}
}

// ExportUser writes what Herald holds about the person to w as one JSON document
// (UserExportFormat): profile, memberships, sessions and API tokens (what they are, never
// their secrets or hashes), the audit entries they made, and which posts they wrote. The
// export is audited (user.exported). An error after the first write means w holds a
// cut-off document.
func (p *Privacy) ExportUser(ctx context.Context, actor domain.Actor, w io.Writer) error {
	now := p.now()
	return p.store.InTx(ctx, func(tx ports.Tx) error {
		a := newArchive(w, UserExportFormat, now, "user_id", string(actor.UserID))
		if err := tx.Exports().User(ctx, actor.UserID, a); err != nil {
			return err
		}
		if err := a.close(); err != nil {
			return err
		}
		return tx.Audit().Record(ctx, domain.AuditEntry{ActorID: actor.UserID, IP: actor.IP, Action: "user.exported",
			Subject: string(actor.UserID), At: now, Details: map[string]string{"rows": strconv.Itoa(a.total)}})
	})
}

// DeleteCompany deletes the actor's company and everything of it, once confirm is the
// company's name typed back. In one transaction: the company's rows go (members,
// invitations, accounts with their tokens, posts, metrics, AI usage, its audit log), its
// unfinished jobs are cancelled, and an audit entry that belongs to no company (so it
// survives) records who deleted which company from where. Its members keep their user
// accounts. Errors: CodeForbidden (owners only), CodeNotFound, CodeInvalid (confirm).
func (p *Privacy) DeleteCompany(ctx context.Context, actor domain.Actor, confirm string) (domain.Company, error) {
	if err := p.authz.Can(ctx, actor, domain.ResourceData, domain.ActionWrite); err != nil {
		return domain.Company{}, err
	}
	var c domain.Company
	err := p.store.InTx(ctx, func(tx ports.Tx) error {
		var err error
		if c, err = tx.Companies().Lock(ctx, actor.CompanyID); err != nil {
			return err
		}
		switch confirm = strings.TrimSpace(confirm); {
		case confirm == "":
			return domain.InvalidField("confirm", "is required: type the company's name, "+c.Name+", to confirm")
		case confirm != c.Name:
			return domain.InvalidField("confirm", "does not match: type the company's name, "+c.Name+", exactly")
		}
		return p.deleteCompany(ctx, tx, c, actor, "deleted by an owner")
	})
	if err != nil {
		return domain.Company{}, err
	}
	reloadAll(ctx, p.authz, p.log, c.ID)
	return c, nil
}

// deleteCompany removes c on tx and cancels its jobs, recording why. The company goes
// first: its row locks wait for any publishing transaction touching its posts, so jobs
// such a transaction inserted are committed, and cancelled, by the time they are looked for.
func (p *Privacy) deleteCompany(ctx context.Context, tx ports.Tx, c domain.Company, actor domain.Actor, why string) error {
	members, err := tx.Memberships().Members(ctx, c.ID)
	if err != nil {
		return err
	}
	if err := tx.Companies().Delete(ctx, c.ID); err != nil {
		return err
	}
	cancelled, err := tx.Jobs().CancelCompany(ctx, c.ID)
	if err != nil {
		return err
	}
	// Its stored media go too, by a job of their own: storage may be away, and the job is
	// retried until it answers (the company's other jobs were just cancelled).
	if err := tx.Jobs().PurgeMedia(ctx, c.ID, nil); err != nil {
		return err
	}
	return tx.Audit().Record(ctx, domain.AuditEntry{ActorID: actor.UserID, IP: actor.IP, Action: "company.deleted", Subject: string(c.ID),
		At: p.now(), Details: map[string]string{"company_id": string(c.ID), "company_name": c.Name, "plan": string(c.Plan),
			"members": strconv.Itoa(len(members)), "jobs_cancelled": strconv.Itoa(cancelled), "reason": why}})
}

// AccountDeletion says what deleting a person's account did to their companies.
type AccountDeletion struct {
	Deleted []domain.Company    // companies where they were the only member, deleted with them
	Left    []domain.Membership // companies they left, which carry on without them
}

// DeleteUser deletes the actor's own account once confirm is their email typed back.
// Their sessions and API tokens stop working at once; posts they wrote stay, without an
// author, and audit entries they made stay, without the link to them. A company where
// they are the only member is deleted with them (as DeleteCompany would); from the others
// they are removed. Errors: CodeInvalid (confirm), CodeConflict (the last owner of a
// company that has other members: they must make someone else an owner, or delete the
// company, first), CodeNotFound.
func (p *Privacy) DeleteUser(ctx context.Context, actor domain.Actor, confirm string) (AccountDeletion, error) {
	var out AccountDeletion
	err := p.store.InTx(ctx, func(tx ports.Tx) error {
		out = AccountDeletion{}
		u, err := tx.Users().Get(ctx, actor.UserID)
		if err != nil {
			return err
		}
		switch confirm = domain.NormalizeEmail(confirm); {
		case confirm == "":
			return domain.InvalidField("confirm", "is required: type your email address to confirm")
		case confirm != u.Email:
			return domain.InvalidField("confirm", "does not match your email address")
		}
		ms, err := tx.Memberships().ForUser(ctx, u.ID)
		if err != nil {
			return err
		}
		// Lock the companies in one order, so two deletions never wait on each other.
		slices.SortFunc(ms, func(a, b domain.Membership) int { return strings.Compare(string(a.CompanyID), string(b.CompanyID)) })
		var blocked []string
		var sole []domain.Company
		for _, m := range ms {
			c, err := tx.Companies().Lock(ctx, m.CompanyID)
			if err != nil {
				return err
			}
			members, err := tx.Memberships().Members(ctx, c.ID)
			if err != nil {
				return err
			}
			owners := 0
			for _, o := range members {
				if o.Role == domain.RoleOwner {
					owners++
				}
			}
			switch {
			case len(members) == 1:
				sole = append(sole, c)
			case m.Role == domain.RoleOwner && owners == 1:
				blocked = append(blocked, c.Name)
			default:
				out.Left = append(out.Left, m)
			}
		}
		if len(blocked) > 0 {
			slices.Sort(blocked)
			return domain.Errorf(domain.CodeConflict, "You are the last owner of %s, which %s other members. Make one of them an owner, or delete the company, before deleting your account.",
				strings.Join(blocked, ", "), map[bool]string{true: "have", false: "has"}[len(blocked) > 1])
		}
		for _, c := range sole {
			if err := p.deleteCompany(ctx, tx, c, actor, "deleted with the account of its only member"); err != nil {
				return err
			}
			out.Deleted = append(out.Deleted, c)
		}
		now := p.now()
		for _, m := range out.Left {
			if err := tx.Memberships().Remove(ctx, m.CompanyID, u.ID); err != nil {
				return err
			}
			if err := tx.Audit().Record(ctx, domain.AuditEntry{CompanyID: m.CompanyID, ActorID: u.ID, IP: actor.IP, Action: "member.account_deleted",
				Subject: string(u.ID), At: now, Details: map[string]string{"role": string(m.Role)}}); err != nil {
				return err
			}
		}
		// Recorded before the user goes: the entry keeps the id, the link to them is cleared.
		if err := tx.Audit().Record(ctx, domain.AuditEntry{ActorID: u.ID, IP: actor.IP, Action: "user.deleted", Subject: string(u.ID), At: now,
			Details: map[string]string{"user_id": string(u.ID), "companies_deleted": strconv.Itoa(len(out.Deleted)),
				"companies_left": strconv.Itoa(len(out.Left))}}); err != nil {
			return err
		}
		return tx.Users().Delete(ctx, u.ID)
	})
	if err != nil {
		return AccountDeletion{}, err
	}
	reloadAll(ctx, p.authz, p.log, "")
	return out, nil
}

// archive writes an export as one JSON document while the store reads it:
//
//	{"format": ..., "version": 1, "exported_at": ..., "<id name>": ..., "sections": {"name": [{...}, ...], ...}}
//
// It implements ports.ExportWriter; rows arrive as JSON objects and are copied as they are.
type archive struct {
	w        *bufio.Writer
	sections int
	rows     int // in the current section
	total    int
}

func newArchive(w io.Writer, format string, at time.Time, idName, id string) *archive {
	a := &archive{w: bufio.NewWriterSize(w, 32<<10)}
	fmt.Fprintf(a.w, `{"format":%s,"version":%d,"exported_at":%s,%s:%s,"sections":{`,
		jsonString(format), ExportVersion, jsonString(at.UTC().Format(time.RFC3339)), jsonString(idName), jsonString(id))
	return a
}

// Section implements ports.ExportWriter.
func (a *archive) Section(name string) error {
	if a.sections > 0 {
		a.w.WriteString("\n],")
	}
	a.sections++
	a.rows = 0
	_, err := fmt.Fprintf(a.w, "\n%s:[", jsonString(name))
	return err
}

// Row implements ports.ExportWriter. A row that is not one JSON object is an error, so a
// store fault cannot produce a document that does not parse.
func (a *archive) Row(object []byte) error {
	if len(object) < 2 || object[0] != '{' || !json.Valid(object) {
		return fmt.Errorf("app: export row is not a JSON object")
	}
	if a.rows > 0 {
		a.w.WriteByte(',')
	}
	a.rows++
	a.total++
	a.w.WriteByte('\n')
	_, err := a.w.Write(object)
	return err
}

// close ends the document and flushes it.
func (a *archive) close() error {
	if a.sections > 0 {
		a.w.WriteString("\n]")
	}
	a.w.WriteString("}}\n")
	return a.w.Flush()
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
