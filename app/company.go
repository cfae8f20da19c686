package app

import (
	"context"
	"slices"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// CompanySettings is the actor's company as its settings show it: the company (plan,
// status, version) with its time zone and brand voice.
type CompanySettings struct {
	Company  domain.Company
	TimeZone string // the IANA zone analytics count days in; "UTC" until set
	Voice    domain.BrandVoice
	Usage    domain.PlanUsage // this month's use of the plan's limits, as the settings page shows it
	// Require2FA says that members must have two-factor sign-in to work in the company.
	Require2FA bool
	// Approvals are the rules that make posts wait for an approver (none: no approval).
	Approvals domain.ApprovalPolicy
}

// CompanyUpdate is a change of a company's settings; a nil field is left as it is.
type CompanyUpdate struct {
	Name     *string
	TimeZone *string
	Voice    *domain.BrandVoice // as typed: NewBrandVoice cleans and checks it
	// Require2FA turns the two-factor requirement on or off (owners and admins); whoever
	// turns it on must have two-factor sign-in themselves.
	Require2FA *bool
	// Approvals names the approval rules (domain.ApprovalRules); owners and admins set them.
	Approvals *[]string
}

// Settings returns the actor's company's settings (every member may read them).
// Errors: CodeForbidden.
func (t *Teams) Settings(ctx context.Context, actor domain.Actor) (CompanySettings, error) {
	if err := t.authz.Can(ctx, actor, domain.ResourceCompany, domain.ActionRead); err != nil {
		return CompanySettings{}, err
	}
	if err := t.authz.Can(ctx, actor, domain.ResourceBrand, domain.ActionRead); err != nil {
		return CompanySettings{}, err
	}
	var s CompanySettings
	err := t.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		s, err = t.companySettings(ctx, tx, actor.CompanyID)
		return err
	})
	return s, err
}

// companySettings reads the company's settings and its plan's usage this month.
func (t *Teams) companySettings(ctx context.Context, tx ports.Tx, id domain.CompanyID) (CompanySettings, error) {
	c, err := tx.Companies().Get(ctx, id)
	if err != nil {
		return CompanySettings{}, err
	}
	u, err := tx.PlanUsage().Of(ctx, id, t.now())
	if err != nil {
		return CompanySettings{}, err
	}
	return CompanySettings{Company: c, TimeZone: zoneOf(c.Settings), Voice: voiceOf(c.Settings), Usage: u, Require2FA: requires2FA(c.Settings),
		Approvals: approvalPolicyOf(c.Settings)}, nil
}

// UpdateSettings changes the actor's company's name and time zone (owners, as the
// settings page allows), its brand voice and its two-factor requirement (owners and
// admins) in one unit of work;
// ifMatch, when not 0, is the version the caller last saw. The checks are the ones of
// the settings page (SetVoice, SetZone), and each change is audited as there
// (company.renamed, company.time_zone_changed, brand.voice_changed); a field that
// changes nothing writes nothing.
// Errors: CodeForbidden, CodeSuspended, CodeInvalid (name, time_zone, voice,
// avoid_words, default_hashtags), CodeStale, CodeConflict (turning require_2fa on
// without two-factor sign-in of one's own).
func (t *Teams) UpdateSettings(ctx context.Context, actor domain.Actor, u CompanyUpdate, ifMatch int) (CompanySettings, error) {
	if u.Name != nil || u.TimeZone != nil {
		if err := t.authz.Can(ctx, actor, domain.ResourceCompany, domain.ActionWrite); err != nil {
			return CompanySettings{}, err
		}
	}
	if u.Voice != nil {
		if err := t.authz.Can(ctx, actor, domain.ResourceBrand, domain.ActionWrite); err != nil {
			return CompanySettings{}, err
		}
	}
	if u.Require2FA != nil || u.Approvals != nil {
		// Who must use two factors, and who must wait for approval, is the team's business: owners and admins.
		if err := t.authz.Can(ctx, actor, domain.ResourceMembers, domain.ActionWrite); err != nil {
			return CompanySettings{}, err
		}
	}
	if u.Name == nil && u.TimeZone == nil && u.Voice == nil && u.Require2FA == nil && u.Approvals == nil {
		// An empty change is still a change: the least right that changes anything here
		// (so a suspended company's members are refused it like every other change).
		if err := t.authz.Can(ctx, actor, domain.ResourceBrand, domain.ActionWrite); err != nil {
			return CompanySettings{}, err
		}
	}
	var name, zone string
	var voice domain.BrandVoice
	var errs []error
	var err error
	if u.Name != nil {
		name, err = domain.CompanyName("name", *u.Name)
		errs = append(errs, err)
	}
	if u.TimeZone != nil {
		zone, err = companyZone(*u.TimeZone)
		errs = append(errs, err)
	}
	if u.Voice != nil {
		voice, err = domain.NewBrandVoice(u.Voice.Description, u.Voice.AvoidWords, u.Voice.DefaultHashtags)
		errs = append(errs, err)
	}
	var approvals domain.ApprovalPolicy
	if u.Approvals != nil {
		approvals, err = domain.ParseApprovalRules("approvals", *u.Approvals)
		errs = append(errs, err)
	}
	if err := joinViolations(errs...); err != nil {
		return CompanySettings{}, err
	}
	var s CompanySettings
	err = t.store.InTx(ctx, func(tx ports.Tx) error {
		c, err := tx.Companies().Lock(ctx, actor.CompanyID)
		if err != nil {
			return err
		}
		if err := domain.CheckVersion(ifMatch, c.Version); err != nil {
			return err
		}
		now := t.now()
		if u.Name != nil && name != c.Name {
			if err := tx.Companies().Rename(ctx, c.ID, name); err != nil {
				return err
			}
			if err := tx.Audit().Record(ctx, domain.AuditEntry{CompanyID: c.ID, ActorID: actor.UserID, IP: actor.IP, Action: "company.renamed",
				Subject: string(c.ID), Details: map[string]string{"from": c.Name, "to": name}, At: now}); err != nil {
				return err
			}
		}
		settings := copySettings(c.Settings)
		var entries []domain.AuditEntry
		if u.TimeZone != nil && zone != zoneOf(c.Settings) {
			settings[settingZone] = zone
			entries = append(entries, zoneChanged(actor, zone, now))
		}
		if u.Voice != nil {
			putVoice(settings, voice)
			if !sameVoice(voiceOf(settings), voiceOf(c.Settings)) {
				entries = append(entries, voiceChanged(actor, now))
			}
		}
		if u.Require2FA != nil && *u.Require2FA != requires2FA(c.Settings) {
			e, err := setRequire2FA(ctx, tx, actor, settings, *u.Require2FA, now)
			if err != nil {
				return err
			}
			entries = append(entries, e)
		}
		if u.Approvals != nil && !slices.Equal(approvals, approvalPolicyOf(c.Settings)) {
			putApprovals(settings, approvals)
			entries = append(entries, domain.AuditEntry{CompanyID: actor.CompanyID, ActorID: actor.UserID, IP: actor.IP, Action: "company.approvals_changed",
				Subject: string(actor.CompanyID), Details: map[string]string{"approvals": settings[settingApprovals]}, At: now})
		}
		if len(entries) > 0 {
			if err := tx.Companies().SetSettings(ctx, c.ID, settings); err != nil {
				return err
			}
			for _, e := range entries {
				if err := tx.Audit().Record(ctx, e); err != nil {
					return err
				}
			}
		}
		s, err = t.companySettings(ctx, tx, c.ID)
		return err
	})
	if err != nil {
		return CompanySettings{}, err
	}
	return s, nil
}

func sameVoice(a, b domain.BrandVoice) bool {
	return a.Description == b.Description && slices.Equal(a.AvoidWords, b.AvoidWords) && slices.Equal(a.DefaultHashtags, b.DefaultHashtags)
}

// settingRequire2FA is the company setting that makes two-factor sign-in required ("true").
const settingRequire2FA = "require_2fa"

func requires2FA(settings map[string]string) bool { return settings[settingRequire2FA] == "true" }

// setRequire2FA puts the two-factor requirement in settings and returns its audit entry.
// Turning it on needs the actor to have two-factor sign-in, so nobody locks themselves out.
func setRequire2FA(ctx context.Context, tx ports.Tx, actor domain.Actor, settings map[string]string, on bool, now time.Time) (domain.AuditEntry, error) {
	action := "company.two_factor_optional"
	if on {
		has, err := hasSecondFactor(ctx, tx, actor.UserID)
		if err != nil {
			return domain.AuditEntry{}, err
		}
		has = has || actor.Passkey // signed in with a passkey: they can again
		if !has {
			return domain.AuditEntry{}, domain.Errorf(domain.CodeConflict, "Turn on two-factor sign-in for yourself first (your profile's Security section): a company that requires it would otherwise lock you out.")
		}
		settings[settingRequire2FA], action = "true", "company.two_factor_required"
	} else {
		delete(settings, settingRequire2FA)
	}
	return domain.AuditEntry{CompanyID: actor.CompanyID, ActorID: actor.UserID, IP: actor.IP, Action: action, Subject: string(actor.CompanyID), At: now}, nil
}
