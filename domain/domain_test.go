package domain

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func TestCheckRoleChange(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		actor    Role
		from, to Role
		owners   int
		want     Code
	}{
		{"AdminAddsEditor", RoleAdmin, "", RoleEditor, 1, ""},
		{"AdminCannotAddOwner", RoleAdmin, "", RoleOwner, 1, CodeForbidden},
		{"OwnerAddsOwner", RoleOwner, "", RoleOwner, 1, ""},
		{"AdminCannotDemoteOwner", RoleAdmin, RoleOwner, RoleAdmin, 2, CodeForbidden},
		{"AdminCannotRemoveOwner", RoleAdmin, RoleOwner, "", 2, CodeForbidden},
		{"OwnerDemotesOneOfTwoOwners", RoleOwner, RoleOwner, RoleAdmin, 2, ""},
		{"LastOwnerCannotBeDemoted", RoleOwner, RoleOwner, RoleAdmin, 1, CodeConflict},
		{"LastOwnerCannotBeRemoved", RoleOwner, RoleOwner, "", 1, CodeConflict},
		{"OwnerStaysOwner", RoleOwner, RoleOwner, RoleOwner, 1, ""},
		{"AdminPromotesViewer", RoleAdmin, RoleViewer, RoleAdmin, 1, ""},
		{"AdminRemovesEditor", RoleAdmin, RoleEditor, "", 1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckRoleChange(tc.actor, tc.from, tc.to, tc.owners)
			if got := CodeOf(err); got != tc.want {
				t.Errorf("CheckRoleChange(%s, %s->%s, owners=%d) = %q, want %q", tc.actor, tc.from, tc.to, tc.owners, got, tc.want)
			}
		})
	}
}

func TestNewUser_ReportsEveryField(t *testing.T) {
	t.Parallel()
	_, err := NewUser("not an email", "", "short", now)
	fields := FieldsOf(err)
	if CodeOf(err) != CodeInvalid || fields["email"] == "" || fields["name"] == "" || fields["password"] == "" {
		t.Fatalf("NewUser(bad) = %v, fields %v", err, fields)
	}
	u, err := NewUser("  Ada@Example.COM ", " Ada Lovelace ", "twelve chars", now)
	if err != nil || u.Email != "ada@example.com" || u.Name != "Ada Lovelace" {
		t.Errorf("NewUser(good) = %+v, %v", u, err)
	}
	for _, bad := range []string{"a@b", "Ada <ada@example.com>", "ada@exa mple.com", strings.Repeat("a", 250) + "@example.com", "@example.com"} {
		if _, err := NewUser(bad, "A", "twelve chars", now); FieldsOf(err)["email"] == "" {
			t.Errorf("NewUser(email %q) accepted", bad)
		}
	}
	if _, err := NewUser("a@example.com", "A", strings.Repeat("x", MaxPasswordBytes+1), now); FieldsOf(err)["password"] == "" {
		t.Error("NewUser accepted a password over the byte limit")
	}
	if _, err := NewUser("a@example.com", "Zoë 🚀 Ünïcode", "pässwörd 12 ✓", now); err != nil {
		t.Errorf("NewUser(unicode) = %v", err)
	}
}

func TestNewCompany(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		ok   bool
	}{{"Acme", true}, {"  ", false}, {strings.Repeat("é", 200), true}, {strings.Repeat("é", 201), false}, {"Two\nlines", false}, {"Nul\x00", false}, {"bad \xff utf8", false}} {
		c, err := NewCompany(tc.name, now)
		if (err == nil) != tc.ok {
			t.Errorf("NewCompany(%q) error = %v, want ok=%v", tc.name, err, tc.ok)
		}
		if err == nil && (c.Plan != PlanFree || c.Status != CompanyActive) {
			t.Errorf("NewCompany(%q) = %+v, want free and active", tc.name, c)
		}
	}
}

func TestCompanyChange_Apply(t *testing.T) {
	t.Parallel()
	pro, business, active, suspended, bogus, weird := PlanPro, PlanBusiness, CompanyActive, CompanySuspended, Plan("gold"), CompanyStatus("deleted")
	c := Company{Plan: PlanFree, Status: CompanyActive}
	actions, err := CompanyChange{Plan: &pro, Status: &suspended, Reason: "  Unpaid invoice 1042 "}.Apply(&c, now)
	if err != nil || c.Plan != PlanPro || c.Status != CompanySuspended || c.StatusReason != "Unpaid invoice 1042" || !c.StatusChangedAt.Equal(now) ||
		strings.Join(actions, ",") != ActionPlanChanged+","+ActionSuspended {
		t.Errorf("Apply(pro, suspended) = %+v, %v, %v", c, actions, err)
	}
	if actions, err := (CompanyChange{Plan: &pro, Status: &suspended, Reason: "Unpaid invoice 1042"}).Apply(&c, now); err != nil || len(actions) != 0 {
		t.Errorf("Apply(the same again) = %v, %v; want no change", actions, err)
	}
	if actions, _ := (CompanyChange{Status: &suspended, Reason: "Spam reports"}).Apply(&c, now); c.StatusReason != "Spam reports" || len(actions) != 1 || actions[0] != ActionSuspended {
		t.Errorf("Apply(new reason) = %v, %+v", actions, c)
	}
	before := c
	_, err = CompanyChange{Plan: &bogus, Status: &weird}.Apply(&c, now)
	if f := FieldsOf(err); f["plan"] == "" || f["status"] == "" || c.Plan != before.Plan {
		t.Errorf("Apply(bad) = %v and changed %+v", err, c)
	}
	if _, err := (CompanyChange{Plan: &business, Status: &suspended}).Apply(&c, now); FieldsOf(err)["reason"] == "" || c.Plan != PlanPro {
		t.Errorf("Apply(suspend without a reason) = %v, changed %+v", err, c)
	}
	if _, err := (CompanyChange{Status: &suspended, Reason: strings.Repeat("x", MaxReasonRunes+1)}).Apply(&c, now); FieldsOf(err)["reason"] == "" {
		t.Errorf("Apply(long reason) = %v", err)
	}
	if _, err := (CompanyChange{}).Apply(&c, now); CodeOf(err) != CodeInvalid {
		t.Errorf("Apply(nothing) = %v, want invalid", err)
	}
	actions, err = CompanyChange{Status: &active}.Apply(&c, now.Add(time.Hour))
	if err != nil || c.Status != CompanyActive || c.StatusReason != "" || len(actions) != 1 || actions[0] != ActionReactivated {
		t.Errorf("Apply(reactivate without a reason) = %v, %+v, %v", actions, c, err)
	}
}

func TestNewPersonalToken(t *testing.T) {
	t.Parallel()
	tok, err := NewPersonalToken("u", " CI ", time.Time{}, now)
	if err != nil || tok.Name != "CI" || !tok.ExpiresAt.Equal(now.Add(365*24*time.Hour)) || tok.Kind != TokenPersonal {
		t.Errorf("NewPersonalToken(default expiry) = %+v, %v", tok, err)
	}
	for _, tc := range []struct {
		name    string
		expires time.Time
		field   string
	}{{"", now.Add(time.Hour), "name"}, {"x", now.Add(-time.Second), "expires_at"}, {"x", now.Add(400 * 24 * time.Hour), "expires_at"}, {strings.Repeat("n", 101), now.Add(time.Hour), "name"}} {
		if _, err := NewPersonalToken("u", tc.name, tc.expires, now); FieldsOf(err)[tc.field] == "" {
			t.Errorf("NewPersonalToken(%q, %v) error = %v, want a problem with %s", tc.name, tc.expires, err, tc.field)
		}
	}
}

func TestCodeOf_And_MessageOf(t *testing.T) {
	t.Parallel()
	wrapped := errors.Join(errors.New("ctx"), Errorf(CodeConflict, "Taken."))
	if CodeOf(nil) != "" || CodeOf(errors.New("x")) != CodeInternal || CodeOf(wrapped) != CodeConflict {
		t.Error("CodeOf does not see through wrapping or misclassifies")
	}
	internal := &Error{Code: CodeInternal, Message: "pq: secret detail"}
	if strings.Contains(MessageOf(internal), "secret") || strings.Contains(MessageOf(errors.New("dial tcp 10.0.0.1")), "10.0.0.1") {
		t.Error("MessageOf leaks internal detail")
	}
	if MessageOf(wrapped) != "Taken." {
		t.Errorf("MessageOf(conflict) = %q", MessageOf(wrapped))
	}
}

func TestCode_HTTPStatusIsOneTable(t *testing.T) {
	t.Parallel()
	want := map[Code]int{
		CodeBadRequest: 400, CodeInvalid: 422, CodeNotFound: 404, CodeConflict: 409,
		CodeForbidden: 403, CodeLimit: 403, CodeSuspended: 403, CodeTwoFactorRequired: 403, CodeUnauthenticated: 401,
		CodeRateLimited: 429, CodeStale: 412, CodeUnavailable: 503, CodeInternal: 500, "": 500,
		CodeTooLarge: 413, CodeUnsupported: 415, CodeGone: 410,
	}
	for code, st := range want {
		if got := code.HTTPStatus(); got != st {
			t.Errorf("%q.HTTPStatus() = %d, want %d", code, got, st)
		}
	}
}
