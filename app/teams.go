package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// Teams holds the use cases of a company's people: listing, inviting, changing roles, removing.
type Teams struct {
	store ports.Store
	authz ports.Authorizer
	now   func() time.Time
	log   *slog.Logger
}

// NewTeams returns the team use cases; now is time.Now outside tests.
func NewTeams(store ports.Store, authz ports.Authorizer, now func() time.Time, log *slog.Logger) *Teams {
	return &Teams{store: store, authz: authz, now: now, log: log}
}

// Team is a company's people: members, and invitations not yet taken up.
type Team struct {
	Members     []domain.Member
	Invitations []domain.Invitation
}

// Members returns the actor's company's members and open invitations.
// Errors: CodeForbidden.
func (t *Teams) Members(ctx context.Context, actor domain.Actor) (Team, error) {
	if err := t.authz.Can(ctx, actor, domain.ResourceMembers, domain.ActionRead); err != nil {
		return Team{}, err
	}
	var team Team
	err := t.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		if team.Members, err = tx.Memberships().Members(ctx, actor.CompanyID); err != nil {
			return err
		}
		team.Invitations, err = tx.Invitations().List(ctx, actor.CompanyID)
		return err
	})
	return team, err
}

// Plan returns the actor's company's plan and its usage this month, for every member to
// see what is left. Errors: CodeForbidden.
func (t *Teams) Plan(ctx context.Context, actor domain.Actor) (domain.Plan, domain.PlanUsage, error) {
	if err := t.authz.Can(ctx, actor, domain.ResourceCompany, domain.ActionRead); err != nil {
		return "", domain.PlanUsage{}, err
	}
	var plan domain.Plan
	var u domain.PlanUsage
	err := t.store.Read(ctx, func(tx ports.Tx) error {
		c, err := tx.Companies().Get(ctx, actor.CompanyID)
		if err != nil {
			return err
		}
		plan = c.Plan
		u, err = tx.PlanUsage().Of(ctx, actor.CompanyID, t.now())
		return err
	})
	return plan, u, err
}

// Added is the result of AddMember: a Member when the email has an account, otherwise an
// Invitation that turns into a membership when they register.
type Added struct {
	Member     *domain.Member
	Invitation *domain.Invitation
}

// AddMember adds the person with email to the actor's company with role, or invites them.
// Members and open invitations together count toward the plan's member limit; renewing an
// invitation adds nobody. Errors: CodeForbidden (role, or granting owner without being
// one), CodeLimit (the plan's members are used up), CodeInvalid (email, role),
// CodeConflict (already a member).
func (t *Teams) AddMember(ctx context.Context, actor domain.Actor, email string, role string) (Added, error) {
	if err := t.authz.Can(ctx, actor, domain.ResourceMembers, domain.ActionWrite); err != nil {
		return Added{}, err
	}
	email = domain.NormalizeEmail(email)
	v := domain.Violations{}
	domain.CheckEmail(v, "email", email)
	r, rerr := domain.ParseRole("role", role)
	if err := joinViolations(v.Err(), rerr); err != nil {
		return Added{}, err
	}
	now := t.now()
	var added Added
	err := t.store.InTx(ctx, func(tx ports.Tx) error {
		me, err := t.lockTeam(ctx, tx, actor)
		if err != nil {
			return err
		}
		if err := domain.CheckRoleChange(me.Role, "", r, 0); err != nil {
			return err
		}
		u, _, err := tx.Users().ByEmail(ctx, email)
		if err == nil || domain.CodeOf(err) == domain.CodeNotFound {
			if err := t.checkRoom(ctx, tx, actor.CompanyID, email, u.ID); err != nil {
				return err
			}
		}
		switch domain.CodeOf(err) {
		case "":
			m := domain.Membership{CompanyID: actor.CompanyID, UserID: u.ID, Role: r, JoinedAt: now}
			if err := tx.Memberships().Add(ctx, m); err != nil {
				return err
			}
			added.Member = &domain.Member{User: u, Role: r, JoinedAt: now, Version: 1}
			return t.audit(ctx, tx, actor, "member.added", string(u.ID), map[string]string{"role": string(r)})
		case domain.CodeNotFound:
			inv := domain.Invitation{CompanyID: actor.CompanyID, Email: email, Role: r, InvitedBy: actor.UserID, CreatedAt: now}
			if err := tx.Invitations().Create(ctx, &inv); err != nil {
				return err
			}
			added.Invitation = &inv
			return t.audit(ctx, tx, actor, "member.invited", email, map[string]string{"role": string(r)})
		default:
			return err
		}
	})
	if err != nil {
		return Added{}, err
	}
	reloadAll(ctx, t.authz, t.log, actor.CompanyID)
	return added, nil
}

// ChangeRole gives a member a new role; ifMatch, when not 0, is the membership version the
// caller last saw. Only owners grant or take away the owner role, and the last owner cannot
// be demoted. Errors: CodeForbidden, CodeNotFound (not a member of the actor's company),
// CodeInvalid (role), CodeConflict (last owner), CodeStale (ifMatch is not current).
func (t *Teams) ChangeRole(ctx context.Context, actor domain.Actor, user domain.UserID, role string, ifMatch int) (domain.Member, error) {
	if err := t.authz.Can(ctx, actor, domain.ResourceMembers, domain.ActionWrite); err != nil {
		return domain.Member{}, err
	}
	r, err := domain.ParseRole("role", role)
	if err != nil {
		return domain.Member{}, err
	}
	var out domain.Member
	err = t.store.InTx(ctx, func(tx ports.Tx) error {
		me, err := t.lockTeam(ctx, tx, actor)
		if err != nil {
			return err
		}
		target, owners, err := t.target(ctx, tx, actor.CompanyID, user)
		if err != nil {
			return err
		}
		if err := domain.CheckVersion(ifMatch, target.Version); err != nil {
			return err
		}
		if err := domain.CheckRoleChange(me.Role, target.Role, r, owners); err != nil {
			return err
		}
		if err := tx.Memberships().SetRole(ctx, actor.CompanyID, user, r); err != nil {
			return err
		}
		u, err := tx.Users().Get(ctx, user)
		if err != nil {
			return err
		}
		out = domain.Member{User: u, Role: r, JoinedAt: target.JoinedAt, Version: target.Version + 1}
		return t.audit(ctx, tx, actor, "member.role_changed", string(user), map[string]string{"from": string(target.Role), "to": string(r)})
	})
	if err != nil {
		return domain.Member{}, err
	}
	reloadAll(ctx, t.authz, t.log, actor.CompanyID)
	return out, nil
}

// RemoveMember takes a member out of the actor's company; anyone may leave on their own.
// Errors: CodeForbidden, CodeNotFound, CodeConflict (the last owner).
func (t *Teams) RemoveMember(ctx context.Context, actor domain.Actor, user domain.UserID) error {
	leaving := user == actor.UserID
	if !leaving {
		if err := t.authz.Can(ctx, actor, domain.ResourceMembers, domain.ActionWrite); err != nil {
			return err
		}
	}
	err := t.store.InTx(ctx, func(tx ports.Tx) error {
		me, err := t.lockTeam(ctx, tx, actor)
		if err != nil {
			return err
		}
		target, owners, err := t.target(ctx, tx, actor.CompanyID, user)
		if err != nil {
			return err
		}
		by := me.Role
		if leaving {
			by = target.Role // leaving needs no power over others, only the last-owner rule
		}
		if err := domain.CheckRoleChange(by, target.Role, "", owners); err != nil {
			return err
		}
		if err := tx.Memberships().Remove(ctx, actor.CompanyID, user); err != nil {
			return err
		}
		action := "member.removed"
		if leaving {
			action = "member.left"
		}
		return t.audit(ctx, tx, actor, action, string(user), map[string]string{"role": string(target.Role)})
	})
	if err != nil {
		return err
	}
	reloadAll(ctx, t.authz, t.log, actor.CompanyID)
	return nil
}

// CancelInvitation withdraws the actor's company's invitation for email.
// Errors: CodeForbidden, CodeNotFound.
func (t *Teams) CancelInvitation(ctx context.Context, actor domain.Actor, email string) error {
	if err := t.authz.Can(ctx, actor, domain.ResourceMembers, domain.ActionWrite); err != nil {
		return err
	}
	return t.store.InTx(ctx, func(tx ports.Tx) error {
		if _, err := t.lockTeam(ctx, tx, actor); err != nil {
			return err
		}
		email = domain.NormalizeEmail(email)
		if err := tx.Invitations().Delete(ctx, actor.CompanyID, email); err != nil {
			return err
		}
		return t.audit(ctx, tx, actor, "member.invitation_cancelled", email, nil)
	})
}

// lockTeam locks the company, so concurrent changes to its people run one after another
// (two owners demoting each other cannot both pass the last-owner rule), and returns the
// actor's membership as stored, never trusting the role the actor arrived with.
func (t *Teams) lockTeam(ctx context.Context, tx ports.Tx, actor domain.Actor) (domain.Membership, error) {
	if _, err := tx.Companies().Lock(ctx, actor.CompanyID); err != nil {
		return domain.Membership{}, err
	}
	me, err := tx.Memberships().Get(ctx, actor.CompanyID, actor.UserID)
	if domain.CodeOf(err) == domain.CodeNotFound {
		return domain.Membership{}, domain.Errorf(domain.CodeForbidden, "You are no longer a member of this company.")
	}
	return me, err
}

// checkRoom returns CodeLimit when one more member (user, or without one an invitation
// for email) would go past the company's plan. Someone already a member or invited adds
// nobody. The caller holds the company's lock.
func (t *Teams) checkRoom(ctx context.Context, tx ports.Tx, company domain.CompanyID, email string, user domain.UserID) error {
	if user != "" {
		_, err := tx.Memberships().Get(ctx, company, user)
		if domain.CodeOf(err) != domain.CodeNotFound {
			return err // nil for a member: adding them again is the store's conflict
		}
	} else {
		open, err := tx.Invitations().List(ctx, company)
		if err != nil {
			return err
		}
		for _, inv := range open {
			if inv.Email == email {
				return nil // renewed, not added
			}
		}
	}
	c, err := tx.Companies().Get(ctx, company)
	if err != nil {
		return err
	}
	u, err := tx.PlanUsage().Of(ctx, company, t.now())
	if err != nil {
		return err
	}
	return c.Plan.CheckMembers(u.Members, 1)
}

// target returns the membership of user in company and the company's owner count.
func (t *Teams) target(ctx context.Context, tx ports.Tx, company domain.CompanyID, user domain.UserID) (domain.Membership, int, error) {
	m, err := tx.Memberships().Get(ctx, company, user)
	if domain.CodeOf(err) == domain.CodeNotFound {
		return domain.Membership{}, 0, domain.Errorf(domain.CodeNotFound, "That member does not exist.")
	}
	if err != nil {
		return domain.Membership{}, 0, err
	}
	owners, err := tx.Memberships().Owners(ctx, company)
	return m, owners, err
}

func (t *Teams) audit(ctx context.Context, tx ports.Tx, actor domain.Actor, action, subject string, details map[string]string) error {
	return tx.Audit().Record(ctx, domain.AuditEntry{CompanyID: actor.CompanyID, ActorID: actor.UserID, IP: actor.IP, Action: action,
		Subject: subject, Details: details, At: t.now()})
}
