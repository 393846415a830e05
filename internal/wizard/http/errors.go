package http

import (
	"encoding/json"
	"net/http"

	"github.com/openova-io/openova/internal/wizard"
)

// status maps domain error codes to HTTP: the one place it happens.
var status = map[string]int{
	wizard.ENOTFOUND:     http.StatusNotFound,
	wizard.EINVALID:      http.StatusUnprocessableEntity,
	wizard.ECONFLICT:     http.StatusConflict,
	wizard.EUNAUTHORIZED: http.StatusUnauthorized,
	wizard.EFORBIDDEN:    http.StatusForbidden,
	wizard.ETOOMANY:      http.StatusTooManyRequests,
	wizard.EINTERNAL:     http.StatusInternalServerError,
}

// apiError is every error body of the API.
type apiError struct {
	Code    string              `json:"code"`
	Message string              `json:"message"`
	Errors  []wizard.FieldError `json:"errors,omitempty"`
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := wizard.ErrorCode(err)
	msg := err.Error()
	if code == wizard.EINTERNAL {
		s.Logger.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		msg = "internal error; the wizard's log has the details"
	}
	writeJSON(w, status[code], apiError{Code: code, Message: msg})
}

func (s *Server) invalid(w http.ResponseWriter, errs []wizard.FieldError) {
	writeJSON(w, http.StatusUnprocessableEntity, apiError{Code: wizard.EINVALID, Message: "the spec has problems; each names its field", Errors: errs})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}
