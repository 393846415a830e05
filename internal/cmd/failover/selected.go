package failover

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	failoverv1 "github.com/openova-io/openova/api/failover/v1alpha1"
)

// selectedRow is one object a group's selectors matched, as the table
// shows it.
type selectedRow struct {
	group, kind, object, role, epoch, converged, detail string
}

// selectedRows lists what each group's cnpgSelector and valkeySelector
// resolved to (status.selectedCNPG, status.selectedValkey), with the most
// useful detail first: why it is not actuated, its last actuation error,
// why it could not be read, and otherwise whom it follows.
func selectedRows(groups []failoverv1.FailoverGroup) []selectedRow {
	var rows []selectedRow
	for _, g := range groups {
		rows = append(rows, rowsOf(g.Namespace+"/"+g.Name, g.Status.SelectedCNPG, g.Status.SelectedValkey)...)
	}
	return rows
}

// rowsOf is one group's (or one controller's) selected objects.
func rowsOf(name string, cnpg []failoverv1.SelectedCNPGCluster, valkey []failoverv1.SelectedValkey) []selectedRow {
	var rows []selectedRow
	for _, c := range cnpg {
		detail := firstOf(c.Problem, c.LastError)
		if detail == "" && c.Primary != "" {
			detail = "spec.replica.primary " + c.Primary
		}
		rows = append(rows, selectedRow{name, "cnpg", c.Namespace + "/" + c.Name, orDash(string(c.Role)),
			epochOf(c.Epoch), yesNo(c.Problem == "" && c.Converged), orDash(detail)})
	}
	for _, v := range valkey {
		detail := firstOf(v.Problem, v.LastError, v.ObserveError)
		if detail == "" && v.ReplicaOf != "" {
			detail = "replica of " + v.ReplicaOf
		}
		rows = append(rows, selectedRow{name, "valkey", v.Namespace + "/" + v.Name, orDash(string(v.Role)),
			epochOf(v.Epoch), yesNo(v.Problem == "" && v.Converged), orDash(detail)})
	}
	return rows
}

// writeSelected prints the selected objects' table, if there are any;
// first names the first column (GROUP, or REGION for controllers).
func writeSelected(out io.Writer, first string, rows []selectedRow) error {
	if len(rows) == 0 {
		return nil
	}
	fmt.Fprintln(out)
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, first+"\tKIND\tSELECTED\tROLE\tEPOCH\tCONVERGED\tDETAIL")
	for _, r := range rows {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.group, r.kind, r.object, r.role, r.epoch, r.converged, r.detail)
	}
	return w.Flush()
}

func firstOf(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func epochOf(e int64) string {
	if e == 0 {
		return "-"
	}
	return strconv.FormatInt(e, 10)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
