package http

import (
	"net/http"
	"strconv"

	"github.com/openova-io/openova/internal/wizard"
)

// Audit page sizes.
const (
	auditPage    = 50
	auditPageMax = 200
)

// auditEntry is one event of the trail in the API. Actions name a
// credential at most, never a value.
type auditEntry struct {
	Seq    int64  `json:"seq"`
	Actor  string `json:"actor"`
	Action string `json:"action"`
	Target string `json:"target"`
	At     string `json:"at"`
}

// auditList is one page, newest first; Next is the cursor of the older
// page (absent on the last).
type auditList struct {
	Events []auditEntry `json:"events"`
	Next   int64        `json:"next,omitempty"`
}

// auditPageOf reads ?before= and ?limit= and returns the caller's
// organisation's page.
func (s *Server) auditPageOf(r *http.Request) (*auditList, error) {
	q := r.URL.Query()
	var before int64
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return nil, wizard.Errorf(wizard.EINVALID, "before=%q: give the next value of the previous page", v)
		}
		before = n
	}
	limit := auditPage
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > auditPageMax {
			return nil, wizard.Errorf(wizard.EINVALID, "limit=%q: give 1 to %d", v, auditPageMax)
		}
		limit = n
	}
	// One more than asked says whether an older page exists.
	events, err := s.Store.Audit(r.Context(), who(r).session.OrgID, before, limit+1)
	if err != nil {
		return nil, err
	}
	out := &auditList{Events: []auditEntry{}}
	for i, e := range events {
		if i == limit {
			out.Next = events[i-1].Seq
			break
		}
		out.Events = append(out.Events, auditEntry{Seq: e.Seq, Actor: e.Actor, Action: e.Action, Target: e.Target, At: e.At.Format("2006-01-02T15:04:05.000Z")})
	}
	return out, nil
}

// auditAPI is GET /api/v1/audit.
func (s *Server) auditAPI(w http.ResponseWriter, r *http.Request) {
	page, err := s.auditPageOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

// auditUI is the audit page: who did what, when, newest first.
func (s *Server) auditUI(w http.ResponseWriter, r *http.Request) {
	page, err := s.auditPageOf(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, "audit", map[string]any{"Audit": page, "Older": page.Next, "First": r.URL.Query().Get("before") != ""})
}
