package browser

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/openova-io/openova/internal/wizard"
)

// TestUsersPage: the admin follows the header's Users link, disables a
// member and makes them admin with the page's forms (CSRF in a hidden
// field, no script needed), and the list shows both changes; the admin's
// own row has no actions.
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
	var before, after, own string
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
