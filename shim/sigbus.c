/* SIGBUS from a trace file cut while the program runs (logrotate's copytruncate): the shim stops
 * recording and the program runs on; any other SIGBUS reaches the program as it asked. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "iot_shim.h"
#include "writer.h"

/*
 * A store into a page of the mapping that the file no longer backs raises SIGBUS.  The shim
 * catches SIGBUS, and when the address is one of its windows it puts anonymous memory there, so
 * the store completes and nothing more reaches the file.  The program's own SIGBUS disposition
 * is kept here: sigaction() and signal() report and change it as if the shim were not there, and
 * the shim's handler runs with the program's mask and flags and calls the program's handler.
 */
static struct sigaction iot_prog_bus; /* the program's disposition, as it set it */
static volatile int iot_bus_ours;     /* the shim's handler is installed */
static int (*iot_real_sigaction)(int, const struct sigaction *, struct sigaction *);

static int iot_resolve(void) {
  if (!iot_real_sigaction)
    iot_real_sigaction =
        (int (*)(int, const struct sigaction *, struct sigaction *))dlsym(RTLD_NEXT, "sigaction");
  return iot_real_sigaction != NULL;
}

static void iot_bus_handler(int sig, siginfo_t *info, void *uc);

/* Installs the shim's handler with what the program asked for: its mask, and the flags that
 * change how the handler runs. */
static int iot_install(const struct sigaction *prog) {
  struct sigaction mine;
  memset(&mine, 0, sizeof mine);
  mine.sa_sigaction = iot_bus_handler;
  mine.sa_mask = prog->sa_mask;
  mine.sa_flags = SA_SIGINFO | (prog->sa_flags & (SA_ONSTACK | SA_RESTART | SA_NODEFER));
  return iot_real_sigaction(SIGBUS, &mine, NULL);
}

static void iot_default_again(void) {
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  iot_bus_ours = 0;
  iot_real_sigaction(SIGBUS, &dfl, NULL);
}

static void iot_bus_handler(int sig, siginfo_t *info, void *uc) {
  int saved = errno;
  if (info && info->si_code > 0 && iot_space_cut(info->si_addr)) {
    errno = saved;
    return; /* the store is retried into memory of the shim's own */
  }
  struct sigaction p = iot_prog_bus;
  if (p.sa_handler == SIG_DFL || p.sa_handler == SIG_IGN) {
    if (info && info->si_code <= 0 && p.sa_handler == SIG_IGN)
      return; /* sent by kill and ignored */
    /* a fault is retried and kills as without the shim; a kill is sent again, and kills */
    iot_default_again();
    if (!info || info->si_code <= 0)
      syscall(SYS_tgkill, getpid(), iot_gettid(), SIGBUS);
    errno = saved;
    return;
  }
  if (p.sa_flags & SA_RESETHAND)
    iot_prog_bus.sa_handler = SIG_DFL;
  errno = saved;
  if (p.sa_flags & SA_SIGINFO)
    p.sa_sigaction(sig, info, uc);
  else
    p.sa_handler(sig);
}

void iot_sigbus_init(void) {
  if (iot_bus_ours || iot_sandboxed || !iot_resolve())
    return;
  if (iot_real_sigaction(SIGBUS, NULL, &iot_prog_bus) != 0)
    return;
  if (iot_prog_bus.sa_handler == SIG_DFL && iot_install(&iot_prog_bus) == 0)
    iot_bus_ours = 1;
}

static int iot_sigbus_change(const struct sigaction *act, struct sigaction *old) {
  struct sigaction prev = iot_prog_bus;
  if (act) { /* glibc too copies act and old in user space: a bad pointer faults there as here */
    struct sigaction want = *act;
    if (iot_install(&want) != 0)
      return -1;
    iot_prog_bus = want;
  }
  if (old)
    *old = prev;
  return 0;
}

IOT_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old) {
  if (sig == SIGBUS && iot_bus_ours && !iot_in_vfork_child())
    return iot_sigbus_change(act, old);
  if (!iot_resolve()) {
    errno = ENOSYS;
    return -1;
  }
  return iot_real_sigaction(sig, act, old);
}

IOT_EXPORT int __sigaction(int sig, const struct sigaction *act, struct sigaction *old) {
  return sigaction(sig, act, old);
}

/* The signal() family, for SIGBUS only: as glibc makes them, through sigaction above.  Other
 * signals go to libc untouched. */
#define IOT_SIGNAL_FN(name, flags)                                                                 \
  IOT_EXPORT __sighandler_t name(int sig, __sighandler_t h) {                                      \
    if (sig == SIGBUS && iot_bus_ours && h != SIG_ERR)                                             \
      return iot_signal_with(sig, h, flags);                                                       \
    static __sighandler_t (*real)(int, __sighandler_t);                                            \
    if (!real)                                                                                     \
      real = (__sighandler_t(*)(int, __sighandler_t))dlsym(RTLD_NEXT, #name);                      \
    if (!real) {                                                                                   \
      errno = ENOSYS;                                                                              \
      return SIG_ERR;                                                                              \
    }                                                                                              \
    return real(sig, h);                                                                           \
  }

static __sighandler_t iot_signal_with(int sig, __sighandler_t h, int flags) {
  struct sigaction act, old;
  memset(&act, 0, sizeof act);
  act.sa_handler = h;
  act.sa_flags = flags;
  if (!(flags & SA_NODEFER))
    sigaddset(&act.sa_mask, sig);
  return iot_sigbus_change(&act, &old) == 0 ? old.sa_handler : SIG_ERR;
}

IOT_SIGNAL_FN(signal, SA_RESTART)
IOT_SIGNAL_FN(bsd_signal, SA_RESTART)
IOT_SIGNAL_FN(ssignal, SA_RESTART)
IOT_SIGNAL_FN(sysv_signal, SA_RESETHAND | SA_NODEFER)
IOT_SIGNAL_FN(__sysv_signal, SA_RESETHAND | SA_NODEFER)
