// Package authz implements ports.Authorizer with Casbin (RBAC with domains). The role
// catalogue comes from package policies; role assignments are the memberships in PostgreSQL,
// read through a read-only Casbin adapter and kept current on every instance through
// PostgreSQL notifications. It imports domain, ports and policies, never another adapter.
package authz

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/persist"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgxlisten"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/policies"
	"github.com/heraldhq/herald/ports"
)

// Channel is the notification channel membership changes are announced on (the postgres
// adapter sends them in the changing transaction).
const Channel = "herald_authz"

// Enforcer decides permissions from Casbin's in-memory copy of the role assignments.
type Enforcer struct {
	e        *casbin.SyncedEnforcer
	ad       *adapter
	pool     *pgxpool.Pool
	log      *slog.Logger
	reloadMu sync.Mutex // one reload at a time, so an older snapshot never replaces a newer one

	mu         sync.RWMutex
	generation int64                       // authz_state.generation of the loaded snapshot
	suspended  map[domain.CompanyID]string // suspended companies of the snapshot, with the reason
}

var _ ports.Authorizer = (*Enforcer)(nil)

// New loads the model, the policy and every membership. It returns an error when the
// embedded model is broken or the database cannot be read.
func New(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) (*Enforcer, error) {
	m, err := model.NewModelFromString(policies.Model)
	if err != nil {
		return nil, fmt.Errorf("authz: model: %w", err)
	}
	ad := &adapter{pool: pool}
	e, err := casbin.NewSyncedEnforcer(m, ad)
	if err != nil {
		return nil, fmt.Errorf("authz: load: %w", err)
	}
	e.EnableAutoSave(false)
	a := &Enforcer{e: e, ad: ad, pool: pool, log: log}
	a.generation, a.suspended = ad.generation, ad.suspended
	return a, nil
}

func subject(u domain.UserID) string { return "user:" + string(u) }
func dom(c domain.CompanyID) string  { return "company:" + string(c) }

// Can implements ports.Authorizer. It decides from the stored memberships only, never from
// the role the actor carries, and from the database's state as it is now: when any
// instance (or the command line, or SQL by hand) changed a role, a superadmin or a
// company's status since this instance loaded its copy, it reloads first. A suspended
// company's members may read, and export or delete the company's data, nothing else: other
// changes answer CodeSuspended with the operator's reason.
func (a *Enforcer) Can(ctx context.Context, actor domain.Actor, res domain.Resource, act domain.Action) error {
	if err := a.fresh(ctx); err != nil {
		return err
	}
	d := "*"
	if res != domain.ResourceTenants {
		if actor.CompanyID == "" {
			return forbidden(res, act)
		}
		d = dom(actor.CompanyID)
	}
	ok, err := a.e.Enforce(subject(actor.UserID), d, string(res), string(act))
	if err != nil {
		return fmt.Errorf("authz: enforce: %w", err)
	}
	if !ok {
		return forbidden(res, act)
	}
	if !domain.SuspensionAllows(res, act) {
		a.mu.RLock()
		reason, suspended := a.suspended[actor.CompanyID]
		a.mu.RUnlock()
		if suspended {
			return domain.SuspendedError(reason)
		}
	}
	return nil
}

// fresh reloads the copy when the database's generation is newer than the loaded one.
func (a *Enforcer) fresh(ctx context.Context) error {
	var g int64
	if err := a.pool.QueryRow(ctx, `SELECT generation FROM authz_state`).Scan(&g); err != nil {
		return fmt.Errorf("authz: generation: %w", err)
	}
	a.mu.RLock()
	loaded := a.generation
	a.mu.RUnlock()
	if g <= loaded {
		return nil
	}
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	a.mu.RLock()
	loaded = a.generation
	a.mu.RUnlock()
	if g <= loaded { // another request reloaded while this one waited
		return nil
	}
	return a.load()
}

func forbidden(res domain.Resource, act domain.Action) error {
	verb := "see"
	if act == domain.ActionWrite {
		verb = "change"
	}
	if res == domain.ResourceTenants {
		return domain.Errorf(domain.CodeForbidden, "Only superadmins can %s tenants.", verb)
	}
	return domain.Errorf(domain.CodeForbidden, "Your role does not allow you to %s %s.", verb, res)
}

// Reload implements ports.Authorizer. It re-reads every assignment and swaps them in at
// once (a partial swap would briefly leave a company without roles); with the shared role
// catalogue that is one indexed scan of memberships.
//
// Reloads run one at a time: Casbin reads the snapshot outside its lock and swaps it in
// after, so two concurrent reloads could finish out of order and the older snapshot
// (without the membership just added) would win.
func (a *Enforcer) Reload(ctx context.Context, _ domain.CompanyID) error {
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	return a.load()
}

// load reads the snapshot and swaps it in; the caller holds reloadMu.
func (a *Enforcer) load() error {
	if err := a.e.LoadPolicy(); err != nil {
		return fmt.Errorf("authz: reload: %w", err)
	}
	a.mu.Lock()
	a.generation, a.suspended = a.ad.generation, a.ad.suspended
	a.mu.Unlock()
	return nil
}

// Listen keeps this instance's roles current until ctx ends: every notification on Channel
// reloads them, and so does every (re)connection, so changes missed while disconnected are
// never lost. It returns nil when ctx is cancelled.
func (a *Enforcer) Listen(ctx context.Context) error {
	l := &pgxlisten.Listener{
		Connect: func(ctx context.Context) (*pgx.Conn, error) {
			c, err := a.pool.Acquire(ctx)
			if err != nil {
				return nil, err
			}
			return c.Hijack(), nil
		},
		LogError: func(ctx context.Context, err error) {
			if ctx.Err() != nil {
				return // shutting down
			}
			a.log.WarnContext(ctx, "role sync: listener", "err", err)
		},
		ReconnectDelay: 2 * time.Second,
	}
	l.Handle(Channel, reloader{a})
	err := l.Listen(ctx)
	if ctx.Err() != nil {
		return nil
	}
	return err
}

type reloader struct{ a *Enforcer }

func (r reloader) HandleNotification(ctx context.Context, n *pgconn.Notification, _ *pgx.Conn) error {
	return r.a.Reload(ctx, domain.CompanyID(n.Payload))
}

// HandleBacklog runs on every (re)connection.
func (r reloader) HandleBacklog(ctx context.Context, _ string, _ *pgx.Conn) error {
	return r.a.Reload(ctx, "")
}

// adapter is a read-only Casbin adapter: policy rows from package policies, grouping rows
// from memberships and superadmins. Memberships are written by the postgres adapter.
// LoadPolicy also reads, in the same snapshot, the generation and the suspended companies;
// the Enforcer takes them after each load (loads are serialized by reloadMu).
type adapter struct {
	pool       *pgxpool.Pool
	generation int64
	suspended  map[domain.CompanyID]string
}

var errReadOnly = errors.New("authz: role assignments are memberships; change them through the app")

func (ad *adapter) LoadPolicy(m model.Model) error {
	for _, line := range strings.Split(policies.Policy, "\n") {
		if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := persist.LoadPolicyLine(line, m); err != nil {
			return fmt.Errorf("authz: policy line %q: %w", line, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// One snapshot for the generation and what it counts, so a reload never records a
	// generation newer than the assignments it read.
	tx, err := ad.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("authz: read memberships: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	var generation int64
	if err := tx.QueryRow(ctx, `SELECT generation FROM authz_state`).Scan(&generation); err != nil {
		return fmt.Errorf("authz: read generation: %w", err)
	}
	suspended := map[domain.CompanyID]string{}
	srows, err := tx.Query(ctx, `SELECT id, status_reason FROM companies WHERE status = $1`, string(domain.CompanySuspended))
	if err != nil {
		return fmt.Errorf("authz: read suspended companies: %w", err)
	}
	for srows.Next() {
		var id, reason string
		if err := srows.Scan(&id, &reason); err != nil {
			srows.Close()
			return fmt.Errorf("authz: read suspended companies: %w", err)
		}
		suspended[domain.CompanyID(id)] = reason
	}
	if err := srows.Err(); err != nil {
		return fmt.Errorf("authz: read suspended companies: %w", err)
	}
	rows, err := tx.Query(ctx, `
		SELECT 'g', 'user:' || user_id, role, 'company:' || company_id FROM memberships
		UNION ALL
		SELECT 'g', 'user:' || user_id, 'approver', 'company:' || company_id FROM memberships WHERE approver
		UNION ALL
		SELECT 'g2', 'user:' || id, 'superadmin', '' FROM users WHERE is_superadmin`)
	if err != nil {
		return fmt.Errorf("authz: read memberships: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var ptype, sub, role, d string
		if err := rows.Scan(&ptype, &sub, &role, &d); err != nil {
			return fmt.Errorf("authz: read memberships: %w", err)
		}
		rule := []string{sub, role}
		if ptype == "g" {
			rule = append(rule, d)
		}
		if err := persist.LoadPolicyArray(append([]string{ptype}, rule...), m); err != nil {
			return fmt.Errorf("authz: load assignment: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("authz: read memberships: %w", err)
	}
	ad.generation, ad.suspended = generation, suspended
	return nil
}

func (ad *adapter) SavePolicy(model.Model) error                              { return errReadOnly }
func (ad *adapter) AddPolicy(string, string, []string) error                  { return errReadOnly }
func (ad *adapter) RemovePolicy(string, string, []string) error               { return errReadOnly }
func (ad *adapter) RemoveFilteredPolicy(string, string, int, ...string) error { return errReadOnly }
