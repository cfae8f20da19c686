package domain_test

import (
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/domain"
)

func TestSnippetInput_Check(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		in         domain.SnippetInput
		wantFields []string
		want       domain.SnippetInput
	}{
		{"CleansNameAndLineBreaks", domain.SnippetInput{Name: "  Launch tags ", Content: " #launch\r\n#herald \n"},
			nil, domain.SnippetInput{Name: "Launch tags", Content: "#launch\n#herald"}},
		{"LongestNameAndText", domain.SnippetInput{Name: strings.Repeat("é", 80), Content: strings.Repeat("ü", 5000)},
			nil, domain.SnippetInput{Name: strings.Repeat("é", 80), Content: strings.Repeat("ü", 5000)}},
		{"EmptyBoth", domain.SnippetInput{Name: " ", Content: "\n"}, []string{"content", "name"}, domain.SnippetInput{}},
		{"NameTooLong", domain.SnippetInput{Name: strings.Repeat("a", 81), Content: "x"}, []string{"name"}, domain.SnippetInput{}},
		{"TextTooLong", domain.SnippetInput{Name: "a", Content: strings.Repeat("a", 5001)}, []string{"content"}, domain.SnippetInput{}},
		{"NameOnTwoLines", domain.SnippetInput{Name: "one\ntwo", Content: "x"}, []string{"name"}, domain.SnippetInput{}},
		{"NotUTF8", domain.SnippetInput{Name: "a\xff", Content: "b\xfe"}, []string{"content", "name"}, domain.SnippetInput{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.in.Check()
			if tc.wantFields == nil {
				if err != nil || got != tc.want {
					t.Fatalf("Check = %+v, %v; want %+v", got, err, tc.want)
				}
				return
			}
			if domain.CodeOf(err) != domain.CodeInvalid {
				t.Fatalf("Check = %v, want CodeInvalid", err)
			}
			fields := domain.FieldsOf(err)
			if len(fields) != len(tc.wantFields) {
				t.Errorf("fields = %v, want %v", fields, tc.wantFields)
			}
			for _, f := range tc.wantFields {
				if fields[f] == "" {
					t.Errorf("no problem for %s in %v", f, fields)
				}
			}
		})
	}
}

func TestSnippet_EditBumpsVersionAndKeepsItOnError(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC)
	s, err := domain.NewSnippet("c", "u", domain.SnippetInput{Name: "Sign-off", Content: "— The team"}, now)
	if err != nil || s.Version != 1 || s.Name != "Sign-off" || !s.CreatedAt.Equal(now) {
		t.Fatalf("NewSnippet = %+v, %v", s, err)
	}
	if err := s.Edit(domain.SnippetInput{Name: "", Content: "x"}, now.Add(time.Hour)); domain.CodeOf(err) != domain.CodeInvalid {
		t.Fatalf("Edit(empty name) = %v", err)
	}
	if s.Version != 1 || s.Name != "Sign-off" {
		t.Errorf("a refused edit changed the snippet: %+v", s)
	}
	if err := s.Edit(domain.SnippetInput{Name: "Sign-off v2", Content: "— Us"}, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if s.Version != 2 || s.Content != "— Us" || !s.UpdatedAt.Equal(now.Add(time.Hour)) {
		t.Errorf("after Edit: %+v", s)
	}
}

func TestCheckSnippetCount(t *testing.T) {
	t.Parallel()
	if err := domain.CheckSnippetCount(domain.MaxSnippets - 1); err != nil {
		t.Errorf("the 500th snippet is refused: %v", err)
	}
	if err := domain.CheckSnippetCount(domain.MaxSnippets); domain.CodeOf(err) != domain.CodeConflict {
		t.Errorf("the 501st snippet = %v, want CodeConflict", err)
	}
}
