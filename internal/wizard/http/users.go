package http

import (
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/openova-io/openova/internal/wizard"
)

// userEntry is one user in the API: never a password hash nor an SSO
// subject.
type userEntry struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	SignIn     string `json:"signIn"` // local or sso
	Issuer     string `json:"issuer,omitempty"`
	Role       string `json:"role"`
	Disabled   bool   `json:"disabled"`
	DisabledAt string `json:"disabledAt,omitempty"`
	LastSignIn string `json:"lastSignIn,omitempty"`
	Created    string `json:"created"`
}

const timeFormat = "2006-01-02T15:04:05Z"

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeFormat)
}

func entryOf(u *wizard.User) userEntry {
	e := userEntry{ID: u.ID, Name: u.Name, SignIn: "local", Role: string(u.Role), Disabled: !u.Disabled.IsZero(),
		DisabledAt: stamp(u.Disabled), LastSignIn: stamp(u.LastLogin), Created: stamp(u.Created)}
	if u.Issuer != "" {
		e.SignIn, e.Issuer = "sso", u.Issuer
	}
	return e
}

// orgUsers is the caller's organisation's users, for an admin only.
func (s *Server) orgUsers(r *http.Request) ([]userEntry, error) {
	p := who(r)
	if p.user.Role != wizard.RoleAdmin {
		return nil, wizard.NotAdmin()
	}
	list, err := s.Store.Users(r.Context(), p.session.OrgID)
	if err != nil {
		return nil, err
	}
	out := []userEntry{}
	for _, u := range list {
		out = append(out, entryOf(u))
	}
	return out, nil
}

// changeUser makes one admin change to a user of the caller's
// organisation (another's answers 404) and audits it.
func (s *Server) changeUser(r *http.Request, id string, change wizard.UserChange, role wizard.Role) error {
	p := who(r)
	ctx := r.Context()
	target, err := s.Store.OrgUser(ctx, p.session.OrgID, id)
	if err != nil {
		return err
	}
	if err := wizard.MayChange(p.user, target, change, role); err != nil {
		return err
	}
	auditTarget := target.Name
	switch change {
	case wizard.ChangeRole:
		err = s.Store.SetUserRole(ctx, p.session.OrgID, p.user.ID, id, role)
		auditTarget += " → " + string(role)
	case wizard.ChangeDisable:
		err = s.Store.SetUserDisabled(ctx, p.session.OrgID, p.user.ID, id, s.Now())
	case wizard.ChangeEnable:
		err = s.Store.SetUserDisabled(ctx, p.session.OrgID, p.user.ID, id, time.Time{})
	case wizard.ChangeRemove:
		err = s.Store.DeleteUser(ctx, p.session.OrgID, p.user.ID, id)
	}
	if err != nil {
		return err
	}
	s.audit(ctx, p, "user."+string(change), auditTarget)
	return nil
}

// usersAPI is GET /api/v1/users.
func (s *Server) usersAPI(w http.ResponseWriter, r *http.Request) {
	list, err := s.orgUsers(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list)
}

// patchUser is PATCH /api/v1/users/{id}: {"role": "admin"|"member"} and/or
// {"disabled": true|false}.
func (s *Server) patchUser(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Role     *string `json:"role"`
		Disabled *bool   `json:"disabled"`
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil || (body.Role == nil && body.Disabled == nil) {
		s.fail(w, r, wizard.Errorf(wizard.EINVALID, `body must be {"role": "admin"|"member"} and/or {"disabled": true|false}`))
		return
	}
	type step struct {
		change wizard.UserChange
		role   wizard.Role
	}
	var steps []step
	if body.Role != nil {
		role, err := wizard.ParseRole(*body.Role)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		steps = append(steps, step{wizard.ChangeRole, role})
	}
	if body.Disabled != nil {
		steps = append(steps, step{map[bool]wizard.UserChange{true: wizard.ChangeDisable, false: wizard.ChangeEnable}[*body.Disabled], ""})
	}
	id := r.PathValue("id")
	p := who(r)
	target, err := s.Store.OrgUser(r.Context(), p.session.OrgID, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, st := range steps { // both allowed before either is made
		if err := wizard.MayChange(p.user, target, st.change, st.role); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	for _, st := range steps {
		if err := s.changeUser(r, id, st.change, st.role); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	u, err := s.Store.OrgUser(r.Context(), p.session.OrgID, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, entryOf(u))
}

// deleteUser is DELETE /api/v1/users/{id}.
func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) {
	if err := s.changeUser(r, r.PathValue("id"), wizard.ChangeRemove, ""); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// usersPage is GET /users: the organisation's users, each with its
// actions as forms (CSRF in a hidden field).
func (s *Server) usersPage(w http.ResponseWriter, r *http.Request) {
	s.renderUsers(w, r, http.StatusOK, "")
}

func (s *Server) renderUsers(w http.ResponseWriter, r *http.Request, code int, problem string) {
	list, err := s.orgUsers(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	w.WriteHeader(code)
	s.render(w, r, "users", map[string]any{"Users": list, "Me": who(r).user.ID, "Error": problem})
}

// userForm is POST /users/{id}/{change}: the page's forms. Success goes
// back to the list; a refusal shows it above the list.
func (s *Server) userForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
	change := wizard.UserChange(r.PathValue("change"))
	var role wizard.Role
	var err error
	if change == wizard.ChangeRole {
		role, err = wizard.ParseRole(r.PostFormValue("role"))
	}
	if err == nil {
		err = s.changeUser(r, r.PathValue("id"), change, role)
	}
	if err != nil {
		code := wizard.ErrorCode(err)
		if code == wizard.EINTERNAL {
			s.pageError(w, r, err)
			return
		}
		s.renderUsers(w, r, status[code], err.Error())
		return
	}
	http.Redirect(w, r, "/users", http.StatusSeeOther)
}
