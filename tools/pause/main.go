// Command pause is the sandbox ("pause") container of the test cluster that
// scripts/ensure-kubernetes.sh starts: nothing can be pulled on the machines this project runs
// on, so the script builds this static program and imports it as an image of its own. It holds a
// pod's namespaces open and does nothing until it is told to stop.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	<-stop
}
