package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/openova-io/openova/internal/wizard"
)

// Users implements wizard.UserAdmin.
func (s *Store) Users(ctx context.Context, orgID string) ([]*wizard.User, error) {
	rows, err := s.DB.QueryContext(ctx, s.q(`SELECT `+userCols+` FROM users WHERE org_id = ? ORDER BY name`), orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*wizard.User
	for rows.Next() {
		u, err := scanUser(rows, "user")
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// OrgUser implements wizard.UserAdmin.
func (s *Store) OrgUser(ctx context.Context, orgID, id string) (*wizard.User, error) {
	return scanUser(s.row(ctx, `SELECT `+userCols+` FROM users WHERE org_id = ? AND id = ?`, orgID, id), "user "+id)
}

// SetUserRole implements wizard.UserAdmin.
func (s *Store) SetUserRole(ctx context.Context, orgID, actor, id string, role wizard.Role) error {
	return s.changeUser(ctx, orgID, actor, id, `UPDATE users SET role = ? WHERE org_id = ? AND id = ?`, string(role), orgID, id)
}

// SetUserDisabled implements wizard.UserAdmin.
func (s *Store) SetUserDisabled(ctx context.Context, orgID, actor, id string, at time.Time) error {
	return s.changeUser(ctx, orgID, actor, id, `UPDATE users SET disabled_at = ? WHERE org_id = ? AND id = ?`, nsOpt(at), orgID, id)
}

// DeleteUser implements wizard.UserAdmin.
func (s *Store) DeleteUser(ctx context.Context, orgID, actor, id string) error {
	return s.changeUser(ctx, orgID, actor, id, `DELETE FROM users WHERE org_id = ? AND id = ?`, orgID, id)
}

// adminTx begins a transaction that first locks the organisation's row
// (PostgreSQL: a row lock other replicas' changes of the same
// organisation wait for; SQLite: the database's one writer), then checks
// that actor is an enabled admin of it.
func (s *Store) adminTx(ctx context.Context, orgID, actor string) (*sql.Tx, error) {
	tx, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	res, err := tx.ExecContext(ctx, s.q(`UPDATE orgs SET name = name WHERE id = ?`), orgID)
	if err == nil {
		err = mustAffect(res, "organisation")
	}
	var ok int
	if err == nil {
		err = tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM users WHERE org_id = ? AND id = ? AND role = ? AND disabled_at = 0`),
			orgID, actor, string(wizard.RoleAdmin)).Scan(&ok)
	}
	if err == nil && ok == 0 {
		err = wizard.NotAdmin()
	}
	if err != nil {
		tx.Rollback()
		return nil, err
	}
	return tx, nil
}

// AddOrgUser implements wizard.UserAdmin.
func (s *Store) AddOrgUser(ctx context.Context, orgID, actor string, u *wizard.User) error {
	if u.OrgID != orgID || u.Role == "" {
		return fmt.Errorf("add user %s: the user's organisation and role must be set to the admin's organisation and a role", u.Name)
	}
	tx, err := s.adminTx(ctx, orgID, actor)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO users (`+userCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		u.ID, u.OrgID, u.Name, u.PasswordHash, u.Issuer, u.Subject, string(u.Role), nsOpt(u.Disabled), nsOpt(u.LastLogin), ns(u.Created)); err != nil {
		if s.d.IsDuplicate != nil && s.d.IsDuplicate(err) {
			return wizard.NameTaken(u.Name)
		}
		return err
	}
	return tx.Commit()
}

// changeUser runs one change of a user in an adminTx, and afterwards
// checks that an enabled admin is left. The user's sessions go whenever
// they are disabled or removed, in the same transaction.
func (s *Store) changeUser(ctx context.Context, orgID, actor, id, change string, args ...any) error {
	tx, err := s.adminTx(ctx, orgID, actor)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var name string
	if err := tx.QueryRowContext(ctx, s.q(`SELECT name FROM users WHERE org_id = ? AND id = ?`), orgID, id).Scan(&name); err != nil {
		return notFound(err, "user "+id)
	}
	if _, err := tx.ExecContext(ctx, s.q(change), args...); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE user_id = ? AND NOT EXISTS
		(SELECT 1 FROM users WHERE id = ? AND disabled_at = 0)`), id, id); err != nil {
		return err
	}
	var admins int
	if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM users WHERE org_id = ? AND role = ? AND disabled_at = 0`),
		orgID, string(wizard.RoleAdmin)).Scan(&admins); err != nil {
		return err
	}
	if admins == 0 {
		return wizard.LastAdmin(name)
	}
	return tx.Commit()
}

// RecordLogin implements wizard.UserAdmin.
func (s *Store) RecordLogin(ctx context.Context, id string, at time.Time) error {
	_, err := s.exec(ctx, `UPDATE users SET last_login = ? WHERE id = ? AND last_login < ?`, ns(at), id, ns(at))
	return err
}
