package giteatest

import "syscall"

// dieWithParent: a test binary that panics or is killed takes its Gitea
// with it, instead of leaving a server on a loopback port.
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
