package browser

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/bcrypt"

	"github.com/openova-io/openova/internal/wizard"
)

// TestUsersPage: the admin follows the header's Users link, disables a
// member and makes them admin with the page's forms (CSRF in a hidden
// field, no script needed), and the list shows both changes; the admin's
// own row has no actions. Then the admin adds a user by the page's form:
// the generated password is shown once and signs her in; adding her
// again is refused beside the name field.
func TestUsersPage(t *testing.T) {
	base, _, store := wizardServer(t)
	if _, err := wizard.AddLocalUser(context.Background(), store, "acme", "bob", "", time.Now()); err != nil {
		t.Fatal(err)
	}
	bob, err := store.UserByName(context.Background(), "bob")
	if err != nil {
		t.Fatal(err)
	}
	ctx := browser(t)
	dir := artifacts(t)
	n := 0
	row := "#user-" + bob.ID
	var before, after, own, pw, taken string
	const addUser = `document.getElementById('new-name').value = 'erin'; document.getElementById('add-user-submit').click()`
	err = chromedp.Do(ctx,
		login(base),
		chromedp.Click(chromedp.CSS(`header a[href="/users"]`)),
		chromedp.WaitVisible(chromedp.CSS(row)),
		grab(&before, chromedp.Text(chromedp.CSS(row))),
		shot(dir, &n, "users"),
		chromedp.Click(chromedp.CSS(row+` form[action$="/disable"] button`)),
		present(row+` form[action$="/enable"]`),
		// The page was replaced by the form's navigation: act on the new
		// document by script (chromedp's node cache may still hold the old).
		chromedp.Evaluate[chromedp.Void](`document.querySelector('`+row+` select[name="role"]').value = "admin";
			document.querySelector('`+row+` form[action$="/role"] button').click()`),
		present(row+` option[value="admin"][selected]`),
		grab(&after, chromedp.Text(chromedp.CSS(row))),
		grab(&own, chromedp.Text(chromedp.CSS("#users tbody tr:first-child"))),
		shot(dir, &n, "changed"),
		// Add erin by the page's form: her password is shown once; adding
		// her again is refused beside the name field.
		chromedp.Evaluate[chromedp.Void](addUser),
		present("#created-password"),
		grab(&pw, chromedp.Evaluate[string](`document.getElementById('created-password').textContent`)),
		shot(dir, &n, "added"),
		chromedp.Evaluate[chromedp.Void](addUser),
		present("#new-name-error"),
		grab(&taken, chromedp.Evaluate[string](`document.getElementById('new-name-error').textContent`)),
		shot(dir, &n, "taken"),
	)
	if err != nil {
		t.Fatalf("browser: %v (screenshots in %s)", err, dir)
	}
	if !strings.Contains(before, "member") || !strings.Contains(before, "enabled") || !strings.Contains(after, "disabled") {
		t.Fatalf("bob's row before %q, after %q", before, after)
	}
	if u, _ := store.UserByName(context.Background(), "bob"); u.Role != wizard.RoleAdmin || u.Disabled.IsZero() {
		t.Fatalf("bob in the store: %+v", u)
	}
	if !strings.Contains(own, "(you)") || strings.Contains(own, "Disable") {
		t.Fatalf("the admin's own row %q: want (you) and no actions", own)
	}
	erin, err := store.UserByName(context.Background(), "erin")
	if err != nil || erin.Role != wizard.RoleMember || bcrypt.CompareHashAndPassword([]byte(erin.PasswordHash), []byte(pw)) != nil {
		t.Fatalf("erin in the store: %+v, %v; the page's password %q does not sign her in", erin, err, pw)
	}
	if !strings.Contains(taken, "the user name erin is taken") {
		t.Fatalf("adding erin again: %q beside the name field, want that the name is taken", taken)
	}
}

// grab keeps an action's result for after the steps.
func grab(into *string, a chromedp.Action[string]) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		v, err := a(ctx, t)
		*into = v
		return err
	})
}

// present waits until the page (after a form's navigation) has an element
// matching sel.
func present(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for {
			ok, err := chromedp.Evaluate[bool](`!!document.querySelector(`+"`"+sel+"`"+`)`)(ctx, t)
			if err == nil && ok {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("waiting for %s: %w", sel, ctx.Err())
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
}
