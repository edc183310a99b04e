// Command etcd is etcd's server, built from the Go module proxy for the test cluster that
// scripts/ensure-kubernetes.sh starts. etcd's own main package lives in a module that is not
// meant to be required; its entry point etcdmain.Main is.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
