/* The fd table's lock: held with signals blocked, so that no handler runs inside it and no
 * siglongjmp can abandon it, and held across fork() so a child never inherits it mid-update. */
#define _GNU_SOURCE
#include <sched.h>

#include "fdtab.h"
#include "iot_shim.h"
#include "sigblock.h"

static void *iot_lock_owner;
static void *iot_fork_holder; /* the thread whose fork() holds the lock, between its handlers */
static struct iot_guard iot_fork_guard;

/* In a sandbox, signals are not blocked (rt_sigprocmask is a call the program did not ask for):
 * a section a handler leaves by siglongjmp then stays held, so waiting is bounded. */
#define IOT_SANDBOX_SPINS (1u << 16)
#if defined(__x86_64__) || defined(__i386__)
#define IOT_CPU_RELAX() __builtin_ia32_pause()
#else
#define IOT_CPU_RELAX() __asm__ volatile("" ::: "memory")
#endif

int iot_lock(struct iot_guard *g) {
  void *me = &iot_self, *none = NULL;
  /* Held by this thread: its own fork() (another library's atfork handler closing an fd), a
   * sandboxed section a handler interrupted, or a raw clone() sharing this TLS.  Never wait. */
  if (__atomic_load_n(&iot_lock_owner, __ATOMIC_RELAXED) == me) {
    g->sig.masked = 0;
    return 0;
  }
  iot_sigblock(&g->sig);
  for (unsigned spins = 0; !__atomic_compare_exchange_n(&iot_lock_owner, &none, me, 0,
                                                        __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
       spins++, none = NULL) {
    if (iot_sandboxed) {
      if (spins > IOT_SANDBOX_SPINS) {
        iot_sigrestore(&g->sig);
        return 0;
      }
      IOT_CPU_RELAX();
    } else if (spins > 100) {
      sched_yield();
    }
  }
  return 1;
}

void iot_unlock(struct iot_guard *g) {
  __atomic_store_n(&iot_lock_owner, NULL, __ATOMIC_RELEASE);
  iot_sigrestore(&g->sig);
}

int iot_lock_orphaned(void) {
  void *owner = __atomic_load_n(&iot_lock_owner, __ATOMIC_RELAXED);
  if (!owner)
    return 0;
  iot_lock_owner = NULL; /* only one thread exists here: nobody else can be inside */
  return 1;
}

/* The atfork prepare handler: no other thread is inside the table while the process is copied. */
void iot_fd_fork_prepare(void) {
  struct iot_guard g;
  if (iot_lock(&g)) {
    iot_fork_guard = g;
    iot_fork_holder = &iot_self;
  }
}

int iot_lock_fork_handback(struct iot_guard *g) {
  if (iot_fork_holder != &iot_self)
    return 0; /* _Fork, which runs no prepare handler; or the prepare could not lock */
  *g = iot_fork_guard;
  iot_fork_holder = NULL;
  return 1;
}
