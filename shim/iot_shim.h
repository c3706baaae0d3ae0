/* Private declarations shared by the shim's files: state, real symbols, recording and fd
 * bookkeeping. */
#ifndef IOT_SHIM_H
#define IOT_SHIM_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

#include "iotrace_format.h"

#define IOT_EXPORT __attribute__((visibility("default")))
#define IOT_LIKELY(x) __builtin_expect(!!(x), 1)
#define IOT_UNLIKELY(x) __builtin_expect(!!(x), 0)
/* initial-exec: a general-dynamic TLS access may call __tls_get_addr, which can allocate and
 * re-enter the shim; a preloaded library always has room in the static TLS block. */
#define IOT_TLS __thread __attribute__((tls_model("initial-exec")))

/* ---- configuration (init.c) ---- */
struct iot_config {
  uint32_t stack_depth; /* IOTRACE_STACK */
  int split;            /* IOTRACE_SPLIT */
  uint64_t max_bytes;   /* IOTRACE_MAX_SIZE, in bytes */
  char output[4200];    /* IOTRACE_OUTPUT, made absolute at start */
  char shim_path[4200]; /* this library's path, to put back into LD_PRELOAD across exec */
};
extern struct iot_config iot_config;
extern int iot_ready;             /* real symbols resolved and the writer tried */
extern volatile uint32_t iot_gen; /* bumped in a forked child: per-thread state is stale */
void iot_init(void);
/* An IOTRACE_* variable, or NULL when unset or in a setuid/setgid program (AT_SECURE). */
const char *iot_setting(const char *name);
void iot_after_fork_child(void);
void iot_exec_init(void); /* keeps the IOTRACE_* settings for exec */

/* ---- per-thread state ---- */
struct iot_thread {
  uint32_t gen;
  uint32_t tid;
  int busy; /* the shim's start-up is running on this thread: its calls are not the program's */
  void *walking;    /* the frame of a call-site walk under way (record.c) */
  char *open;       /* the span of the outermost traced call under way, until its slot is taken */
  char *lock_frame; /* where this thread took the fd table's lock (fdlock.c) */
  struct iot_chunk *ev_chunk;
  uint32_t next_chunk_size;
  struct iot_chunk *st_chunk; /* call-site definitions */
  uint32_t seq;
  const void *seen_ok[8]; /* argument pointers the kernel accepted in an earlier call */
  unsigned seen_next;
};
extern IOT_TLS struct iot_thread iot_self;

/*
 * The shim reads a call's argument memory before the call only at addresses the kernel has
 * already accepted from this thread: reading a bad pointer would crash the program where the
 * kernel would have answered EFAULT.  Programs pass the same sets and headers again and again.
 */
static inline int iot_ptr_seen(const void *p) {
  for (unsigned i = 0; i < 8; i++)
    if (iot_self.seen_ok[i] == p)
      return 1;
  return 0;
}
static inline void iot_ptr_ok(const void *p) {
  if (p && !iot_ptr_seen(p))
    iot_self.seen_ok[iot_self.seen_next++ & 7] = p;
}
/* 1 if len bytes at p can be read without faulting (argmem.c). */
int iot_readable(const void *p, size_t len);
/* The bytes an iovec array asks for. */
size_t iot_iov_bytes(const struct iovec *iov, size_t n);
#define IOT_PAGE_SIZE 4096u
pid_t iot_gettid(void);

/* In a vfork child, which shares its parent thread's memory and TLS: the shim touches nothing
 * there (vfork.c). */
extern IOT_TLS int iot_vfork_child;
static inline int iot_in_vfork_child(void) {
  return IOT_UNLIKELY(iot_vfork_child);
}

/* ---- process identity (identity.c) ---- */
/* Reads 0 in a child that did not share this memory, however it was made: not yet its own. */
extern volatile uint32_t *iot_ident;
void iot_identity_init(void);
int iot_identity_slow(void);
void iot_become_new_process(int open_file); /* forget the parent's file; open one if asked */
void iot_identity_settle(int open_file);    /* before exec or exit */
static inline int iot_same_process(void) {
  return IOT_LIKELY(*iot_ident != 0) || iot_identity_slow();
}

/* ---- exec environment (exec_env.c) ---- */
struct iot_env_scratch {
  void *base;
  size_t len;
};
char *const *iot_env_for_exec(char *const envp[], struct iot_env_scratch *s);
void iot_env_free(struct iot_env_scratch *s);
extern IOT_TLS struct iot_env_scratch iot_vfork_scratch;

/* ---- clock (clock.h) ---- */
#include "clock.h"

/* ---- blocked detection (blocked.c) ---- */
void iot_blocked_init(void);
extern int iot_rseq_ok;
extern ptrdiff_t iot_rseq_off;
extern const void *const iot_rseq_marker;
/* Arms the marker that the kernel clears whenever it takes the thread off the CPU. */
static inline void iot_blocked_arm(void) {
  if (IOT_LIKELY(iot_rseq_ok))
    *(volatile uint64_t *)((char *)__builtin_thread_pointer() + iot_rseq_off + 8) =
        (uint64_t)(uintptr_t)iot_rseq_marker;
}
/* 1 if the thread left the CPU since iot_blocked_arm(), 0 if not, -1 if unmeasurable. */
static inline int iot_blocked_check(void) {
  if (!IOT_LIKELY(iot_rseq_ok))
    return -1;
  volatile uint64_t *cs =
      (volatile uint64_t *)((char *)__builtin_thread_pointer() + iot_rseq_off + 8);
  uint64_t v = *cs;
  *cs = 0;
  return v != (uint64_t)(uintptr_t)iot_rseq_marker;
}

/* ---- writer (tracefile.c, writer.c, ownfd.c) ---- */
extern struct iot_file_header *iot_hdr; /* NULL when this process is not traced */
extern int iot_trace_fd;                /* the trace file, hidden from the program */
int iot_writer_open(void);
void iot_writer_close(int execing);
void iot_writer_forget(void);            /* in a forked child: drop the parent's file untouched */
void iot_writer_reopen_after_exec(void); /* an exec failed: the process goes on recording */
struct iot_chunk *iot_claim_chunk(uint16_t type, uint32_t size);
void iot_count_drop(void);
/* One message (say.c): on fd 2 only if it is a terminal, in IOTRACE_LOG, and in the trace. */
void iot_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- recording (record.c) ---- */
extern int iot_tracing; /* this process has a trace file and records */
/* A seccomp filter is (or may be) on: from then on the shim makes no system call the program did
 * not ask for.  Every slow path that would (fstat, /proc, mmap, madvise, gettid, prctl,
 * sched_yield, fallocate...) checks this first and does without, counting what it gives up. */
extern volatile int iot_sandboxed;
struct iot_span {
  uint64_t t0, t1;
  int on;        /* 0: pass through without recording */
  int ended;     /* t1 and blocked are taken */
  int blocked;   /* as iot_blocked_check() */
  uint8_t flags; /* IOT_EF_* the call adds to its event */
};
/*
 * A handler that siglongjmps out of a traced call abandons it: the call was made, its event
 * never stored.  Each thread notes the outermost call under way by its span's address; a later
 * call whose span sits at or above that one (on the same stack, within a window) proves it was
 * unwound, and counts it as dropped.  A handler's call sits below, nested, and changes nothing.
 */
#define IOT_ABANDON_WINDOW (1u << 20)
static inline void iot_call_open(struct iot_span *c) {
  char *open = iot_self.open, *me = (char *)c;
  if (IOT_UNLIKELY(open != NULL)) {
    if (me < open || (size_t)(me - open) >= IOT_ABANDON_WINDOW)
      return; /* nested in it, or another stack (a raw clone() sharing this TLS) */
    iot_count_drop();
  }
  iot_self.open = me;
}
/* The call's slot is taken (or it will not be recorded): it can no longer be lost uncounted. */
static inline void iot_call_settled(struct iot_span *c) {
  if (iot_self.open == (char *)c)
    iot_self.open = NULL;
}
/* Starts a call: decides whether to record it and takes the start time. */
static inline void iot_begin(struct iot_span *c) {
  c->on = IOT_LIKELY(iot_tracing) && IOT_LIKELY(!iot_self.busy) && !iot_in_vfork_child() &&
          iot_same_process();
  c->ended = 0;
  c->flags = 0;
  if (c->on) {
    iot_call_open(c);
    c->t0 = iot_now();
    iot_blocked_arm();
  }
}
/* Ends the timed part of a call: first thing after the real call returns. */
static inline void iot_end(struct iot_span *c) {
  if (!c->ended) {
    c->t1 = iot_now();
    c->blocked = iot_blocked_check();
    c->ended = 1;
  }
}
void iot_record(struct iot_span *c, int call, int fd, long result, int err, uint64_t arg,
                uint64_t aux, uint8_t flags);
/* Records the call with the errno it left, and leaves errno as the call set it. */
static inline void iot_finish(struct iot_span *c, int call, int fd, long ret, uint64_t arg,
                              uint64_t aux, uint8_t flags) {
  int err = errno;
  iot_record(c, call, fd, ret, err, arg, aux, flags);
  errno = err;
}

/* ---- call sites (stack.c) ---- */
#define IOT_MAX_STACK_FRAMES 64
int iot_stack_init(uint32_t depth);
uint32_t iot_stack_site(void);
void iot_stack_forked(void); /* a child's file has none of the parent's call sites */

/* ---- fd bookkeeping (fdtab.c) ---- */
/* IOT_FD_UNASKED: not known, and the kernel may not be asked (sandboxed); never stored. */
enum iot_fd_kind {
  IOT_FD_UNKNOWN = 0,
  IOT_FD_SOCKET,
  IOT_FD_PIPE,
  IOT_FD_OTHER,
  IOT_FD_EPOLL,
  IOT_FD_UNASKED
};
int iot_fdtab_init(void);
int iot_fd_kind(int fd); /* looks it up, asking the kernel once per fd (fdkind.c) */
void iot_fd_created(int fd, int kind);
void iot_fd_dup(int oldfd, int newfd);
void iot_fd_closed(int fd);
void iot_fd_reused(int fd); /* fd was made or closed inside libc: drop what is known of it */
void iot_fd_sent(int fd);   /* fd went to another process with SCM_RIGHTS */
/* Calls note(fd) for every fd an SCM_RIGHTS message carries (wrap_recv.c). */
void iot_each_passed_fd(const struct msghdr *msg, void (*note)(int fd));
void iot_fd_closed_range(unsigned first, unsigned last);
void iot_fd_fork_prepare(void); /* atfork handlers: the table's lock is held across fork */
void iot_fd_forked(void);       /* in the parent */
void iot_fd_forked_child(void);
void iot_epoll_ctl_done(int epfd, int op, int fd);
uint32_t iot_epoll_interest(int epfd);
void iot_move_own_fd_away(int fd);
/* For close(): 1 if fd is still the shim's trace file; 0 if the number is the program's now (a raw
 * close let it be reused), and from then on it is (ownfd.c). */
int iot_own_fd_still_ours(int fd);
/* The trace fd is the shim's: these keep the program from closing or replacing it.  Only the
 * number is compared on the way; the file behind it is asked about only when it matches. */
static inline int iot_is_own_fd(int fd) {
  return IOT_UNLIKELY(fd >= 0 && fd == iot_trace_fd) && iot_own_fd_still_ours(fd);
}

/* ---- split phases (split.c) ---- */
typedef ssize_t (*iot_copy_fn)(void *args);
/* Whether IOTRACE_SPLIT applies to a read of len bytes with these recv flags. */
static inline int iot_split_wanted(size_t len, int flags) {
  return IOT_UNLIKELY(iot_config.split) && len > 0 &&
         !(flags & (MSG_DONTWAIT | MSG_OOB | MSG_ERRQUEUE));
}
/* Runs a blocking socket read as a wait phase then a copy phase, each recorded; outer is ended. */
ssize_t iot_split(struct iot_span *outer, int fd, int flags, size_t len, iot_copy_fn copy,
                  void *args);

/* ---- the real symbols (real.h, real.c) ---- */
void iot_real_resolve_all(void);

#endif
