package portal

import (
	"strings"
	"testing"
)

const teamsYAML = `
teams:
  - name: payments
    groups: [payments-devs, payments-leads]
    namespaces: [payments, payments-staging]
  - name: risk
    groups: [risk]
    namespaces: [risk]
`

func TestLoadTeams(t *testing.T) {
	ts, err := LoadTeams([]byte(teamsYAML))
	if err != nil {
		t.Fatal(err)
	}
	if got := ts.Of([]string{"risk", "other"}); len(got) != 1 || got[0].Name != "risk" {
		t.Errorf("Of(risk) = %v", got)
	}
	if !ts.Allows([]string{"payments-leads"}, "payments-staging") {
		t.Error("payments-leads may request into payments-staging")
	}
	if ts.Allows([]string{"payments-devs"}, "risk") {
		t.Error("payments-devs must not request into risk")
	}
	if ts.Allows(nil, "payments") {
		t.Error("a user in no group belongs to no team")
	}
	if got := strings.Join(ts.Namespaces([]string{"payments-devs", "risk"}), ","); got != "payments,payments-staging,risk" {
		t.Errorf("Namespaces = %s", got)
	}
}

func TestLoadTeamsRefuses(t *testing.T) {
	for name, tc := range map[string]struct{ yaml, want string }{
		"unknown field":       {"teams:\n- name: a\n  group: [g]\n  namespaces: [a]\n", `unknown field "group"`},
		"empty":               {"teams: []\n", "teams: Required value"},
		"bad name":            {"teams:\n- name: Pay\n  groups: [g]\n  namespaces: [a]\n", "teams[0].name: Invalid value"},
		"duplicate name":      {"teams:\n- name: a\n  groups: [g]\n  namespaces: [a]\n- name: a\n  groups: [h]\n  namespaces: [b]\n", "teams[1].name: Duplicate value"},
		"no groups":           {"teams:\n- name: a\n  namespaces: [a]\n", "teams[0].groups: Required value"},
		"empty group":         {"teams:\n- name: a\n  groups: [\"\"]\n  namespaces: [a]\n", "teams[0].groups[0]: Required value"},
		"no namespaces":       {"teams:\n- name: a\n  groups: [g]\n", "teams[0].namespaces: Required value"},
		"bad namespace":       {"teams:\n- name: a\n  groups: [g]\n  namespaces: [Pay_ments]\n", "teams[0].namespaces[0]: Invalid value"},
		"platform namespace":  {"teams:\n- name: a\n  groups: [g]\n  namespaces: [flux-system]\n", "teams[0].namespaces[0]: Forbidden"},
		"kube- namespace":     {"teams:\n- name: a\n  groups: [g]\n  namespaces: [kube-system]\n", "teams[0].namespaces[0]: Forbidden"},
		"not a list of teams": {"- name: a\n", "teams file"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := LoadTeams([]byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
