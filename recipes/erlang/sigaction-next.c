// sigaction-next.so: the "next" sigaction beam.smp looks for (see launcher.c), loaded after
// beam.smp so that dlsym(RTLD_NEXT, "__sigaction") finds it.
//
// It must reach OSv's own sigaction without naming it: beam.smp exports sigaction and
// __sigaction itself (its wrapper), and OSv binds this object's reference to "sigaction" to
// beam.smp's, so a plain call here goes back into the wrapper, which calls this again until the
// thread's stack runs out (OSv then aborts in osv::handle_mmap_fault, a write to the stack's
// guard page). The rt_sigaction system call goes to the kernel by number, not by name.
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

// The system call's struct (Linux's struct k_sigaction). Its mask is a whole sigset_t, not the
// kernel's 8 bytes: OSv's rt_sigaction copies sizeof(sigset_t) from it.
struct ksigaction {
	void (*handler)(int);
	unsigned long flags;
	void (*restorer)(void);
	sigset_t mask;
};

int __sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	struct ksigaction kact, kold;
	long ret;

	memset(&kact, 0, sizeof(kact));
	memset(&kold, 0, sizeof(kold));
	if (act) {
		kact.handler = act->sa_handler;
		kact.flags = act->sa_flags;
		kact.mask = act->sa_mask;
	}
	ret = syscall(SYS_rt_sigaction, sig, act ? &kact : NULL, old ? &kold : NULL, 8);
	if (ret == 0 && old) {
		memset(old, 0, sizeof(*old));
		old->sa_handler = kold.handler;
		old->sa_flags = (int)kold.flags;
		memcpy(&old->sa_mask, &kold.mask, 8);
	}
	return (int)ret;
}
