package portalweb

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/openova-io/openova/internal/oidclogin"
	"github.com/openova-io/openova/internal/portal"
)

// statusError is an error the portal itself raises with its status.
type statusError struct {
	code int
	msg  string
}

func (e *statusError) Error() string { return e.msg }

var (
	errSignedOut = &statusError{http.StatusUnauthorized, "sign in first"}
	errCSRF      = &statusError{http.StatusForbidden, "this form is stale or came from another site; reload the page and send it again"}
)

func notFound(format string, a ...any) error {
	return &statusError{http.StatusNotFound, fmt.Sprintf(format, a...)}
}

func noTeamError(user string) error {
	return &statusError{http.StatusForbidden, user + " is in no team of this portal; a platform admin adds one of your groups to a team in the teams file"}
}

// statusOf is the one mapping of errors to HTTP status.
func statusOf(err error) int {
	var se *statusError
	var refused *oidclogin.Refused
	var invalid *portal.ValidationError
	switch {
	case errors.As(err, &se):
		return se.code
	case errors.As(err, &refused):
		return http.StatusUnauthorized
	case errors.Is(err, portal.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, portal.ErrForbidden):
		return http.StatusForbidden
	case errors.As(err, &invalid):
		return http.StatusUnprocessableEntity
	}
	return http.StatusInternalServerError
}

// publicMessage hides the detail of internal errors (they may name hosts
// or carry upstream text); the log keeps it.
func publicMessage(err error, code int) string {
	if code == http.StatusInternalServerError {
		return "the portal failed to do this; its log has the details (look for the time of this page)"
	}
	return err.Error()
}

func (h *handler) logFailure(r *http.Request, err error, code int) {
	if code == http.StatusInternalServerError {
		h.cfg.Logger.ErrorContext(r.Context(), "portal request failed", "path", r.URL.Path, "err", err)
	}
}

func (h *handler) pageError(w http.ResponseWriter, r *http.Request, s *session, err error) {
	code := statusOf(err)
	h.logFailure(r, err, code)
	h.render(w, r, code, "error", s, map[string]any{"Status": http.StatusText(code), "Message": publicMessage(err, code)})
}

type fieldView struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (h *handler) apiError(w http.ResponseWriter, r *http.Request, err error) {
	code := statusOf(err)
	h.logFailure(r, err, code)
	body := map[string]any{"error": publicMessage(err, code)}
	var invalid *portal.ValidationError
	if errors.As(err, &invalid) {
		fs := make([]fieldView, 0, len(invalid.Errs))
		for _, e := range invalid.Errs {
			fs = append(fs, fieldView{Field: e.Field, Message: message(e)})
		}
		body["fields"] = fs
	}
	writeJSON(w, code, body)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}
