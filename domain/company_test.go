package domain

import (
	"strings"
	"testing"
)

func TestCompany_CheckActive(t *testing.T) {
	t.Parallel()
	if err := (Company{Status: CompanyActive}).CheckActive(); err != nil {
		t.Errorf("an active company: %v, want nil", err)
	}
	err := Company{Status: CompanySuspended, StatusReason: "Unpaid invoice 1042."}.CheckActive()
	if CodeOf(err) != CodeSuspended || !strings.Contains(MessageOf(err), "(Unpaid invoice 1042)") {
		t.Errorf("a suspended company: %v, want CodeSuspended with the reason", err)
	}
	if CompanyStatus("").Suspended() || CompanyActive.Suspended() || !CompanySuspended.Suspended() {
		t.Error("Suspended is true for exactly the suspended status")
	}
}

func TestSuspensionAllows_ReadingAndTheDataButNoOtherChange(t *testing.T) {
	t.Parallel()
	for _, res := range append([]Resource{ResourceTenants}, CompanyResources...) {
		if !SuspensionAllows(res, ActionRead) {
			t.Errorf("reading %s is refused", res)
		}
		want := res == ResourceData || res == ResourceTenants
		if got := SuspensionAllows(res, ActionWrite); got != want {
			t.Errorf("SuspensionAllows(%s, write) = %v, want %v", res, got, want)
		}
	}
}
