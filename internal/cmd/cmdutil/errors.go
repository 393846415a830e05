// Package cmdutil holds what every command package shares and that the root
// command maps to exit codes; it imports nothing from internal/cmd.
package cmdutil

// FailedError reports that a check ran and found problems, already printed;
// catalyst exits 3 on it (internal/cmd/root).
type FailedError struct{ Msg string }

func (e *FailedError) Error() string { return e.Msg }
