package http

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
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

// passwordNotice goes with a generated password, the one time it is shown.
const passwordNotice = "give this password to the user by a safe channel now: the wizard keeps only its hash and never shows it again (there is no password change yet: to replace it, remove the user and add them again)"

// createdUser is the answer to a creation: the password appears here
// only.
type createdUser struct {
	User     userEntry `json:"user"`
	Password string    `json:"password"`
	Notice   string    `json:"notice"`
}

// createUser adds a local user named name with role ("" for member) to
// the admin's organisation, with a generated password returned this once,
// and audits it. A refusal names its field (name or role).
func (s *Server) createUser(r *http.Request, name, role string) (*createdUser, string, error) {
	p := who(r)
	if p.user.Role != wizard.RoleAdmin {
		return nil, "", wizard.NotAdmin()
	}
	if role == "" {
		role = string(wizard.RoleMember)
	}
	rl, err := wizard.ParseRole(role)
	if err != nil {
		return nil, "role", err
	}
	if err := wizard.CheckLocalName(name); err != nil {
		return nil, "name", err
	}
	pw, err := wizard.RandomToken(s.Random, 18)
	if err != nil {
		return nil, "", err
	}
	hash, err := wizard.HashPassword(pw)
	if err != nil {
		return nil, "", err
	}
	id, err := wizard.NewID(s.Random)
	if err != nil {
		return nil, "", err
	}
	u := &wizard.User{ID: id, OrgID: p.session.OrgID, Name: name, PasswordHash: hash, Role: rl, Created: s.Now()}
	if err := s.Store.AddOrgUser(r.Context(), p.session.OrgID, p.user.ID, u); err != nil {
		if wizard.ErrorCode(err) == wizard.ECONFLICT {
			return nil, "name", err
		}
		return nil, "", err
	}
	s.audit(r.Context(), p, "user.create", name+" ("+string(rl)+")")
	return &createdUser{User: entryOf(u), Password: pw, Notice: passwordNotice}, "", nil
}

// postUser is POST /api/v1/users: {"name": ..., "role": "admin"|"member"}.
func (s *Server) postUser(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name string `json:"name"`
		Role string `json:"role"`
	}
	if err := decodeJSON(r, w, &body); err != nil {
		s.fail(w, r, wizard.Errorf(wizard.EINVALID, `body must be {"name": "...", "role": "admin"|"member"}`))
		return
	}
	c, field, err := s.createUser(r, body.Name, body.Role)
	if err != nil {
		if field == "" {
			s.fail(w, r, err)
			return
		}
		code := wizard.ErrorCode(err)
		writeJSON(w, status[code], apiError{Code: code, Message: err.Error(), Errors: []wizard.FieldError{{Field: field, Message: err.Error()}}})
		return
	}
	writeJSON(w, http.StatusCreated, c)
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
	s.renderUsersWith(w, r, code, map[string]any{"Error": problem})
}

// renderUsersWith renders the page with data added: Created (a new user
// and their password, shown this once), Form (the add form as typed) and
// FieldErrors (by field, shown beside it).
func (s *Server) renderUsersWith(w http.ResponseWriter, r *http.Request, code int, data map[string]any) {
	list, err := s.orgUsers(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	data["Users"], data["Me"] = list, who(r).user.ID
	w.WriteHeader(code)
	s.render(w, r, "users", data)
}

// addUserForm is POST /users: the page's add form. The new password is on
// the answer page only (no redirect: it is shown once, never stored).
func (s *Server) addUserForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
	name, role := strings.TrimSpace(r.PostFormValue("name")), r.PostFormValue("role")
	c, field, err := s.createUser(r, name, role)
	switch {
	case err == nil:
		s.renderUsersWith(w, r, http.StatusCreated, map[string]any{"Created": c})
	case field != "":
		s.renderUsersWith(w, r, status[wizard.ErrorCode(err)], map[string]any{
			"Form": map[string]string{"Name": name, "Role": role}, "FieldErrors": map[string]string{field: err.Error()}})
	case wizard.ErrorCode(err) == wizard.EINTERNAL:
		s.pageError(w, r, err)
	default:
		s.renderUsers(w, r, status[wizard.ErrorCode(err)], err.Error())
	}
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
