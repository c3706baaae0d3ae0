/* Which process the shim's state belongs to: a child made without fork()'s handlers is caught
 * before it records anything. */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/mman.h>

#include "iot_shim.h"

#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18 /* Linux 4.14 */
#endif

/*
 * A private page marked MADV_WIPEONFORK reads as zeros in every child that does not share this
 * memory, however it was made (fork, glibc clone(fn, stack, SIGCHLD), a raw SYS_clone with
 * CLONE_NEWPID...), and keeps its contents in threads and vfork children, which do share it.
 * The word is set once the shim's state is this process's own, so the hot path pays one load.
 * Where the page cannot be had (kernel before 4.14), the word stays a static 1: no detection.
 */
static uint32_t iot_ident_fallback = 1;
volatile uint32_t *iot_ident = &iot_ident_fallback;

/* The trace file of the process this one was copied from, while this one has none. */
static struct iot_file_header *iot_orphan_of;

void iot_identity_init(void) {
  void *p = mmap(NULL, IOT_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    return;
  if (madvise(p, IOT_PAGE_SIZE, MADV_WIPEONFORK) != 0) {
    munmap(p, IOT_PAGE_SIZE);
    return;
  }
  *(volatile uint32_t *)p = 1;
  iot_ident = p;
}

/*
 * This process is a copy of the one whose file the shim holds: drop the copy's view of that file
 * and, if open_file, create one of its own.  Only this process's own copies are released (its
 * mapping and its fd): the parent's header and size are not touched.  After a seccomp filter, no
 * system call may be made: the child keeps the mapping unused and counts what it does not
 * record as dropped in the file it came from, its only trace.  (A child made with CLONE_FILES
 * but not CLONE_VM shares the parent's fd table: closing the fd there would close the parent's.
 * No server does that; the kernel gives no cheap way to tell.)
 */
void iot_become_new_process(int open_file) {
  int saved = errno;
  int was = iot_tracing;
  iot_self.busy++;
  iot_tracing = 0;
  __atomic_add_fetch(&iot_gen, 1, __ATOMIC_RELEASE);
  iot_vfork_child = 0;
  /* the only thread of the new process: no walk, critical section or lock of its is under way */
  iot_self.walking = NULL;
  iot_self.open = NULL;
  iot_self.lock_frame = NULL;
  iot_fd_forked_child();
  iot_stack_forked();
  if (iot_sandboxed) {
    if (iot_hdr)
      iot_orphan_of = iot_hdr;
    iot_hdr = NULL; /* the parent's file: never written, closed or cut from here */
    iot_tracing = was && iot_orphan_of;
  } else {
    iot_orphan_of = NULL;
    iot_writer_forget();
    if (was && open_file && iot_writer_open() == 0)
      iot_tracing = 1;
  }
  /* a sandboxed child leaves the word at 0, so each call of its comes back here to be counted */
  if (!iot_sandboxed)
    *iot_ident = 1;
  iot_self.busy--;
  errno = saved;
}

/* First call of a process whose word reads 0: adopt it; 1 if the call is to be recorded. */
int iot_identity_slow(void) {
  static int adopting; /* two threads of a new process calling at once: one adopts */
  if (!iot_orphan_of) {
    if (__atomic_exchange_n(&adopting, 1, __ATOMIC_ACQUIRE))
      return 0;
    if (!*iot_ident)
      iot_become_new_process(1);
    __atomic_store_n(&adopting, 0, __ATOMIC_RELEASE);
    if (!iot_orphan_of)
      return iot_tracing;
  }
  __atomic_fetch_add(&iot_orphan_of->dropped_events, 1, __ATOMIC_RELAXED);
  return 0;
}

/* Before exec or exit: a new process that never recorded lets go of its parent's file first. */
void iot_identity_settle(int open_file) {
  if (IOT_LIKELY(*iot_ident) || iot_in_vfork_child() || iot_orphan_of)
    return;
  iot_become_new_process(open_file);
}
