package controller

import (
	"time"

	"golang.org/x/sys/unix"
)

// BootClock reads CLOCK_BOOTTIME: monotonic, and unlike CLOCK_MONOTONIC
// (Go's runtime clock) it keeps counting while the machine is suspended,
// so a VM paused past its deadline sees that time pass and fences.
func BootClock() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		panic("CLOCK_BOOTTIME unavailable: " + err.Error()) // Linux ≥ 2.6.39 has it
	}
	return time.Duration(ts.Nano())
}
