//go:build !linux

package giteatest

import "syscall"

func dieWithParent() *syscall.SysProcAttr { return nil }
