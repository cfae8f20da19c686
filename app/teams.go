package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// Teams holds the use cases of a company's people: listing, inviting, changing roles, removing.
type Teams struct {
	store     ports.Store
	authz     ports.Authorizer
	acceptURL func(token string) string
	now       func() time.Time
	log       *slog.Logger
	// mail emails invitations; set by New.
	mail *Mail
}

// NewTeams returns the team use cases. acceptURL returns the web app's address that
// accepts an invitation token (its page at /invitations/accept); now is time.Now outside
// tests.
func NewTeams(store ports.Store, authz ports.Authorizer, acceptURL func(token string) string, now func() time.Time, log *slog.Logger) *Teams {
	return &Teams{store: store, authz: authz, acceptURL: acceptURL, now: now, log: log}
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

// IssuedInvitation is an invitation with its link. URL carries the token, exists only in
// this answer (Herald keeps the token's hash) and is for the inviter to send on.
type IssuedInvitation struct {
	Invitation domain.Invitation
	URL        string
	// Emailed says the link was also emailed to the invitee; without an SMTP server the
	// inviter sends it themselves.
	Emailed bool
}

// Invite makes a single-use link that lets whoever opens it join the actor's company with
// role, for 7 days. Nobody joins without accepting, and the answer is the same whether or
// not email has a Herald account; inviting an email again replaces its invitation (role,
// link and expiry). Members and open invitations together count toward the plan's member
// limit. Errors: CodeForbidden (role, or granting owner without being one), CodeLimit (the
// plan's members are used up), CodeInvalid (email, role), CodeConflict (already a member).
func (t *Teams) Invite(ctx context.Context, actor domain.Actor, email string, role string) (IssuedInvitation, error) {
	if err := t.authz.Can(ctx, actor, domain.ResourceMembers, domain.ActionWrite); err != nil {
		return IssuedInvitation{}, err
	}
	email = domain.NormalizeEmail(email)
	v := domain.Violations{}
	domain.CheckEmail(v, "email", email)
	r, rerr := domain.ParseRole("role", role)
	if err := joinViolations(v.Err(), rerr); err != nil {
		return IssuedInvitation{}, err
	}
	secret, err := newInvitationToken()
	if err != nil {
		return IssuedInvitation{}, err
	}
	now := t.now()
	inv := domain.Invitation{CompanyID: actor.CompanyID, Email: email, Role: r, InvitedBy: actor.UserID, CreatedAt: now,
		ExpiresAt: now.Add(domain.InvitationLifetime)}
	err = t.store.InTx(ctx, func(tx ports.Tx) error {
		me, err := t.lockTeam(ctx, tx, actor)
		if err != nil {
			return err
		}
		if err := domain.CheckRoleChange(me.Role, "", r, 0); err != nil {
			return err
		}
		// A member is already on the team page, so saying so tells the inviter nothing new;
		// whether anyone else has an account is never looked at.
		if u, _, err := tx.Users().ByEmail(ctx, email); err == nil {
			if _, err := tx.Memberships().Get(ctx, actor.CompanyID, u.ID); err == nil {
				return domain.Errorf(domain.CodeConflict, "%s is already a member of this company.", email)
			} else if domain.CodeOf(err) != domain.CodeNotFound {
				return err
			}
		} else if domain.CodeOf(err) != domain.CodeNotFound {
			return err
		}
		if err := t.checkRoom(ctx, tx, actor.CompanyID, email); err != nil {
			return err
		}
		if err := tx.Invitations().Create(ctx, &inv, hashSecret(secret)); err != nil {
			return err
		}
		if err := t.queueInvitationEmail(ctx, tx, actor, inv, secret); err != nil {
			return err
		}
		// The subject is the invitation, not the address: the inviter's own data (their
		// export) must not hold someone else's email.
		return t.audit(ctx, tx, actor, "member.invited", string(inv.ID), map[string]string{"role": string(r)})
	})
	if err != nil {
		return IssuedInvitation{}, err
	}
	return IssuedInvitation{Invitation: inv, URL: t.acceptURL(secret), Emailed: t.mail.mailOn()}, nil
}

// Invitations returns the actor's company's open invitations (expired ones too, to renew
// or revoke), without their links. Errors: CodeForbidden.
func (t *Teams) Invitations(ctx context.Context, actor domain.Actor) ([]domain.Invitation, error) {
	if err := t.authz.Can(ctx, actor, domain.ResourceMembers, domain.ActionRead); err != nil {
		return nil, err
	}
	var out []domain.Invitation
	err := t.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		out, err = tx.Invitations().List(ctx, actor.CompanyID)
		return err
	})
	return out, err
}

// RenewInvitation gives the actor's company's invitation id a new link working for 7 days
// from now; the old link stops working. Errors: CodeForbidden (role, or an owner's
// invitation renewed by someone who is not an owner), CodeNotFound (also another company's).
func (t *Teams) RenewInvitation(ctx context.Context, actor domain.Actor, id domain.InvitationID) (IssuedInvitation, error) {
	if err := t.authz.Can(ctx, actor, domain.ResourceMembers, domain.ActionWrite); err != nil {
		return IssuedInvitation{}, err
	}
	secret, err := newInvitationToken()
	if err != nil {
		return IssuedInvitation{}, err
	}
	now := t.now()
	var inv domain.Invitation
	err = t.store.InTx(ctx, func(tx ports.Tx) error {
		me, err := t.lockTeam(ctx, tx, actor)
		if err != nil {
			return err
		}
		if inv, err = tx.Invitations().Renew(ctx, actor.CompanyID, id, hashSecret(secret), now.Add(domain.InvitationLifetime), now); err != nil {
			return err
		}
		if err := domain.CheckRoleChange(me.Role, "", inv.Role, 0); err != nil {
			return err
		}
		if err := t.queueInvitationEmail(ctx, tx, actor, inv, secret); err != nil {
			return err
		}
		return t.audit(ctx, tx, actor, "member.invitation_renewed", string(inv.ID), map[string]string{"role": string(inv.Role)})
	})
	if err != nil {
		return IssuedInvitation{}, err
	}
	return IssuedInvitation{Invitation: inv, URL: t.acceptURL(secret), Emailed: t.mail.mailOn()}, nil
}

// RevokeInvitation deletes the actor's company's invitation id, so its link stops working.
// Errors: CodeForbidden, CodeNotFound (also another company's).
func (t *Teams) RevokeInvitation(ctx context.Context, actor domain.Actor, id domain.InvitationID) (domain.Invitation, error) {
	if err := t.authz.Can(ctx, actor, domain.ResourceMembers, domain.ActionWrite); err != nil {
		return domain.Invitation{}, err
	}
	var inv domain.Invitation
	err := t.store.InTx(ctx, func(tx ports.Tx) error {
		if _, err := t.lockTeam(ctx, tx, actor); err != nil {
			return err
		}
		open, err := tx.Invitations().List(ctx, actor.CompanyID)
		if err != nil {
			return err
		}
		for _, o := range open {
			if o.ID == id {
				inv = o
			}
		}
		if err := tx.Invitations().Delete(ctx, actor.CompanyID, id); err != nil {
			return err
		}
		return t.audit(ctx, tx, actor, "member.invitation_revoked", string(id), nil)
	})
	return inv, err
}

// InvitationFor returns the invitation a link's token opens, with its company's name, for
// the invitee to confirm. Errors: CodeNotFound (unknown, used or expired).
func (t *Teams) InvitationFor(ctx context.Context, token string) (domain.Invitation, error) {
	if !plausibleInvitationToken(token) {
		return domain.Invitation{}, errInvitationGone
	}
	var inv domain.Invitation
	err := t.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		inv, err = tx.Invitations().ByToken(ctx, hashSecret(token), t.now())
		return err
	})
	if domain.CodeOf(err) == domain.CodeNotFound {
		return domain.Invitation{}, errInvitationGone
	}
	return inv, err
}

// AcceptInvitation makes the signed-in user a member of the company whose invitation token
// opens, with the invitation's role; the token then stops working. Of two accepts of one
// token at once exactly one succeeds. actor names the user (and their address for the
// audit log); its company is not used. Errors: CodeNotFound (unknown, used or expired),
// CodeConflict (already a member), CodeLimit (the plan's members are used up),
// CodeForbidden (the user's address is not verified; IsVerifyFirst tells).
func (t *Teams) AcceptInvitation(ctx context.Context, actor domain.Actor, token string) (domain.Membership, error) {
	var m domain.Membership
	err := t.store.InTx(ctx, func(tx ports.Tx) error {
		u, err := tx.Users().Get(ctx, actor.UserID)
		if err != nil {
			return err
		}
		m, err = acceptInvitation(ctx, tx, u, token, actor.IP, t.now())
		return err
	})
	if err != nil {
		return domain.Membership{}, err
	}
	reloadAll(ctx, t.authz, t.log, m.CompanyID)
	return m, nil
}

// errInvitationGone is the one answer for links that do not work, whatever the reason.
var errInvitationGone = domain.Errorf(domain.CodeNotFound, "This invitation link does not work: it is unknown, was already used, or has expired. Ask for a new one.")

// invitationTokenPrefix starts every invitation token, after TokenPrefix.
const invitationTokenPrefix = TokenPrefix + "inv_"

// newInvitationToken returns a new random invitation token (256 bits).
func newInvitationToken() (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("app: invitation token: %w", err)
	}
	return invitationTokenPrefix + base64.RawURLEncoding.EncodeToString(raw), nil
}

// plausibleInvitationToken reports whether token could be one Herald made, so that
// garbage is refused without a query.
func plausibleInvitationToken(token string) bool {
	return strings.HasPrefix(token, invitationTokenPrefix) && len(token) <= 100
}

// acceptInvitation takes the invitation token opens, in tx, and adds u to its company with
// its role; the caller commits and reloads the company's roles. The company is locked
// first, as every change to its people is, and the plan's member limit is checked again
// (the plan may have changed since the invitation). Errors: CodeNotFound (unknown, used or
// expired), CodeConflict (already a member: the invitation is left as it was),
// CodeLimit, CodeSuspended (the company is suspended: the invitation is left as it was),
// CodeForbidden (u's address is not verified: the invitation is left as it was).
func acceptInvitation(ctx context.Context, tx ports.Tx, u domain.User, token, ip string, now time.Time) (domain.Membership, error) {
	if !plausibleInvitationToken(token) {
		return domain.Membership{}, errInvitationGone
	}
	hash := hashSecret(token)
	inv, err := tx.Invitations().ByToken(ctx, hash, now)
	if domain.CodeOf(err) == domain.CodeNotFound {
		return domain.Membership{}, errInvitationGone
	}
	if err != nil {
		return domain.Membership{}, err
	}
	if !u.Verified() {
		return domain.Membership{}, errVerifyFirst
	}
	c, err := tx.Companies().Lock(ctx, inv.CompanyID)
	if err != nil {
		return domain.Membership{}, err
	}
	if err := c.CheckActive(); err != nil {
		// Joining changes the company: a suspended one keeps the invitation for later.
		return domain.Membership{}, err
	}
	inv, err = tx.Invitations().Take(ctx, inv.CompanyID, hash, now)
	if domain.CodeOf(err) == domain.CodeNotFound {
		return domain.Membership{}, errInvitationGone
	}
	if err != nil {
		return domain.Membership{}, err
	}
	if _, err := tx.Memberships().Get(ctx, c.ID, u.ID); err == nil {
		return domain.Membership{}, domain.Errorf(domain.CodeConflict, "You are already a member of %s.", c.Name)
	} else if domain.CodeOf(err) != domain.CodeNotFound {
		return domain.Membership{}, err
	}
	usage, err := tx.PlanUsage().Of(ctx, c.ID, now)
	if err != nil {
		return domain.Membership{}, err
	}
	if err := c.Plan.CheckMembers(usage.Members, 1); err != nil {
		return domain.Membership{}, err
	}
	m := domain.Membership{CompanyID: c.ID, CompanyName: c.Name, CompanyStatus: c.Status, UserID: u.ID, Role: inv.Role, JoinedAt: now, Version: 1}
	if err := tx.Memberships().Add(ctx, m); err != nil {
		return domain.Membership{}, err
	}
	return m, tx.Audit().Record(ctx, domain.AuditEntry{CompanyID: c.ID, ActorID: u.ID, IP: ip, Action: "member.joined", Subject: string(u.ID),
		Details: map[string]string{"role": string(inv.Role), "invitation": string(inv.ID), "invited_email": inv.Email, "email": u.Email}, At: now})
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
		out = domain.Member{User: u, Role: r, Approver: target.Approver, JoinedAt: target.JoinedAt, Version: target.Version + 1}
		return t.audit(ctx, tx, actor, "member.role_changed", string(user), map[string]string{"from": string(target.Role), "to": string(r)})
	})
	if err != nil {
		return domain.Member{}, err
	}
	reloadAll(ctx, t.authz, t.log, actor.CompanyID)
	return out, nil
}

// SetApprover grants (approver true) or takes away the member's permission to approve
// posts; owners and admins may approve whatever it says. ifMatch, when not 0, is the
// membership version the caller last saw. A grant that changes nothing writes nothing.
// Errors: CodeForbidden (owners and admins only), CodeSuspended, CodeNotFound, CodeStale.
func (t *Teams) SetApprover(ctx context.Context, actor domain.Actor, user domain.UserID, approver bool, ifMatch int) (domain.Member, error) {
	if err := t.authz.Can(ctx, actor, domain.ResourceMembers, domain.ActionWrite); err != nil {
		return domain.Member{}, err
	}
	var out domain.Member
	changed := false
	err := t.store.InTx(ctx, func(tx ports.Tx) error {
		if _, err := t.lockTeam(ctx, tx, actor); err != nil {
			return err
		}
		target, _, err := t.target(ctx, tx, actor.CompanyID, user)
		if err != nil {
			return err
		}
		if err := domain.CheckVersion(ifMatch, target.Version); err != nil {
			return err
		}
		u, err := tx.Users().Get(ctx, user)
		if err != nil {
			return err
		}
		out = domain.Member{User: u, Role: target.Role, Approver: approver, JoinedAt: target.JoinedAt, Version: target.Version}
		if target.Approver == approver {
			return nil
		}
		if err := tx.Memberships().SetApprover(ctx, actor.CompanyID, user, approver); err != nil {
			return err
		}
		changed = true
		out.Version++
		action := "member.approver_granted"
		if !approver {
			action = "member.approver_revoked"
		}
		return t.audit(ctx, tx, actor, action, string(user), map[string]string{"role": string(target.Role)})
	})
	if err != nil {
		return domain.Member{}, err
	}
	if changed {
		reloadAll(ctx, t.authz, t.log, actor.CompanyID)
	}
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

// checkRoom returns CodeLimit when one more invitation, for email, would go past the
// company's plan; replacing the company's invitation for email adds nobody. The caller
// holds the company's lock.
func (t *Teams) checkRoom(ctx context.Context, tx ports.Tx, company domain.CompanyID, email string) error {
	open, err := tx.Invitations().List(ctx, company)
	if err != nil {
		return err
	}
	for _, inv := range open {
		if inv.Email == email {
			return nil
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
