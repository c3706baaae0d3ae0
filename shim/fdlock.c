/* The fd table's lock: a spinlock that a signal handler's nested call never waits for, that a
 * siglongjmp out of a section cannot leave held for good, and that fork() holds across the copy.
 */
#define _GNU_SOURCE
#include <sched.h>

#include "fdtab.h"
#include "iot_shim.h"
#include "pool.h"

/*
 * No signal is blocked around a section: unblocking would make the kernel hand
 * a process-directed signal already on its way to another thread (the main
 * thread, in accept) to this one instead, and the program would behave
 * differently.  So a handler can run inside a section, and leave it by
 * siglongjmp.  Each thread notes the frame it locked from.  Finding the lock
 * held by itself from a frame below that one, the thread is a handler nested
 * in the section: it does without the table.  From that frame or above, the
 * section was unwound: its update may be half done, so the table is dropped
 * (every set is then recounted) and the lock taken over.  Another thread that
 * waits too long gives up and does without, until the lock is free again.
 */
static void *iot_lock_owner;
static int iot_lock_stuck;    /* a waiter gave up: later callers do without rather than wait */
static void *iot_fork_holder; /* the thread whose fork() holds the lock, between its handlers */
#define IOT_STACK_WINDOW (1u << 20) /* farther apart: another stack (a raw clone() sharing TLS) */
#define IOT_SPINS_BEFORE_YIELD 100u
#define IOT_WAIT_LIMIT (1u << 16) /* turns of waiting before giving up (yields, or pauses) */

#if defined(__x86_64__) || defined(__i386__)
#define IOT_CPU_RELAX() __builtin_ia32_pause()
#else
#define IOT_CPU_RELAX() __asm__ volatile("" ::: "memory")
#endif

/* The table after an abandoned section: what it held is forgotten, not trusted. */
static void iot_table_drop(void) {
  iot_fdtab_forget();
  iot_pool_forget();
}

static int iot_take(char *here) {
  void *none = NULL;
  if (!__atomic_compare_exchange_n(&iot_lock_owner, &none, &iot_self, 0, __ATOMIC_ACQUIRE,
                                   __ATOMIC_RELAXED))
    return 0;
  iot_self.lock_frame = here;
  __atomic_store_n(&iot_lock_stuck, 0, __ATOMIC_RELAXED);
  return 1;
}

int iot_lock(void) {
  char *here = __builtin_frame_address(0);
  if (__atomic_load_n(&iot_lock_owner, __ATOMIC_RELAXED) == &iot_self) {
    char *mine = iot_self.lock_frame;
    if (here < mine || (size_t)(here - mine) >= IOT_STACK_WINDOW)
      return 0; /* a handler nested in this thread's section, or a clone sharing its TLS */
    iot_self.lock_frame = here; /* the section was unwound by a jump: take the lock over */
    iot_table_drop();
    return 1;
  }
  if (iot_take(here))
    return 1;
  if (__atomic_load_n(&iot_lock_stuck, __ATOMIC_RELAXED))
    return 0;
  for (unsigned spins = 0; spins < IOT_WAIT_LIMIT; spins++) {
    if (iot_take(here))
      return 1;
    if (spins < IOT_SPINS_BEFORE_YIELD || iot_sandboxed)
      IOT_CPU_RELAX(); /* sched_yield would be a call the program did not ask for */
    else
      sched_yield();
  }
  __atomic_store_n(&iot_lock_stuck, 1, __ATOMIC_RELAXED);
  return 0;
}

void iot_unlock(void) {
  __atomic_store_n(&iot_lock_owner, NULL, __ATOMIC_RELEASE);
}

int iot_lock_orphaned(void) {
  void *owner = __atomic_load_n(&iot_lock_owner, __ATOMIC_RELAXED);
  if (!owner)
    return 0;
  iot_lock_owner = NULL; /* only one thread exists here: nobody else can be inside */
  iot_lock_stuck = 0;
  return 1;
}

/* The atfork prepare handler: no other thread is inside the table while the process is copied. */
void iot_fd_fork_prepare(void) {
  if (iot_lock())
    iot_fork_holder = &iot_self;
}

int iot_lock_fork_handback(void) {
  if (iot_fork_holder != &iot_self)
    return 0; /* _Fork, which runs no prepare handler; or the prepare could not lock */
  iot_fork_holder = NULL;
  return 1;
}
