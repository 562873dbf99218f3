package main

import (
	"os/exec"
	"syscall"
)

// endWithParent makes the kernel send SIGTERM to the started process when the load test dies,
// as it does when it writes to a closed pipe, so that no server or wrk is left running. The kernel
// sends it when the thread that started the process ends, which Go does only for a
// goroutine that exits locked to its thread, and the load test locks none.
func endWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
