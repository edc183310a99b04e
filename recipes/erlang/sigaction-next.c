// sigaction-next.so: the "next" sigaction beam.smp looks for (see launcher.c). Loaded after
// beam.smp, its own reference to sigaction binds to OSv's (the kernel comes first in OSv's
// symbol lookup), not to beam.smp's wrapper.
#include <signal.h>

int __sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	return sigaction(sig, act, old);
}
