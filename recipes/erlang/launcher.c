// The erlang package's /erlang: starts the Erlang emulator (beam.smp) inside OSv.
//
// OSv cannot exec, so erlexec's last step (exec beam.smp) is done here by loading beam.smp and
// calling its main with the arguments this program got. One more thing is needed: beam.smp wraps
// sigaction() and finds the real one with dlsym(RTLD_NEXT, "__sigaction" or "sigaction"), which
// on OSv searches only the objects loaded after beam.smp, where there is none (OSv's own
// sigaction is in the kernel, loaded first), and beam.smp aborts ("dlsym: ..."). So after
// beam.smp this loads sigaction-next.so, whose __sigaction reaches OSv's sigaction (through the
// system call: see there why not by name).
#include <dlfcn.h>
#include <stdio.h>

#ifndef BEAM
#define BEAM "/usr/lib/erlang/erts/bin/beam.smp"
#endif
#ifndef NEXT
#define NEXT "/usr/lib/erlang/osv/sigaction-next.so"
#endif

int main(int argc, char **argv)
{
	void *beam = dlopen(BEAM, RTLD_NOW), *next;
	int (*beam_main)(int, char **);

	if (!beam) {
		fprintf(stderr, "erlang: %s\n", dlerror());
		return 1;
	}
	next = dlopen(NEXT, RTLD_NOW);
	if (!next) {
		fprintf(stderr, "erlang: %s\n", dlerror());
		return 1;
	}
	beam_main = (int (*)(int, char **))dlsym(beam, "main");
	if (!beam_main) {
		fprintf(stderr, "erlang: %s\n", dlerror());
		return 1;
	}
	return beam_main(argc, argv);
}
