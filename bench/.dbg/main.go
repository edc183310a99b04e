package main

import (
	"context"
	"fmt"
	"os"

	"github.com/rs/zerolog"

	"github.com/pkgdriver/pkgdriver/driver"
)

func main() {
	ctx := context.Background()
	cli, _ := driver.NewClient(ctx, "dbg")
	b := &driver.ToolchainBuilder{Client: cli, Config: driver.ImageConfig{BaseImage: "pkgdriver/debian:bookworm", OSVSrc: os.Args[1], OSVBuildArgs: "fs=rofs image=native-example", BuildArgs: map[string]string{"OSV_DEPS": ""}, Repository: "pkgdriver-bench/toolchain", Capstan: os.Args[2]},
		LogPath: "/tmp/dbg-toolchain.log", StatePath: os.Args[3], Log: zerolog.New(os.Stderr)}
	tc, err := b.Ensure(ctx)
	fmt.Println(tc, err)
}
