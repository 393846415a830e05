package http

import "net/http"

// applyPage shows the managed apply: the plan to approve, the steps, and
// the live log (fed by /static/apply.js from the SSE feed).
func (s *Server) applyPage(w http.ResponseWriter, r *http.Request) {
	b, err := s.load(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	data := map[string]any{"B": b, "Enabled": s.ApplyDir != "" && s.Tofu != ""}
	if data["Enabled"] == true {
		st, err := s.status(r.Context(), b, true)
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		data["Status"] = st
	}
	s.render(w, r, "apply", data)
}
