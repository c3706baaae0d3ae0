/* What each fd is (socket, pipe, epoll...) and what each epoll instance watches: the only user of
 * uthash. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "iot_shim.h"
#include "pool.h"

#define HASH_NONFATAL_OOM 1
#define uthash_malloc(sz) iot_pool_alloc(sz)
#define uthash_free(p, sz) iot_pool_free((p), (sz))
#include <uthash.h>
#include <utlist.h>

/*
 * The kernel keys an epoll registration by (open file description, fd number)
 * and drops it only when the description is released: close(fd) while a dup
 * of it is open leaves the registration (and its events) in place.  So each fd
 * maps to a description id, descriptions count their fds, and a registration
 * goes when its description's last fd closes.  After fork, another process may
 * hold a description too: then a close makes the set uncertain, and the next
 * epoll_wait recounts it from /proc/self/fdinfo.
 */
struct iot_reg {
  struct {
    int32_t fd;
    uint32_t ofd;
  } key;
  struct iot_ep *ep;
  struct iot_reg *onext, *oprev; /* the registrations of the same description */
  UT_hash_handle hh;
};
struct iot_ep {
  uint32_t count;
  int uncertain;
  uint32_t epoch;
  struct iot_reg *regs;
};
struct iot_ofd {
  uint32_t id;
  uint32_t refs;     /* fds of this process that refer to it */
  int shared;        /* another process may refer to it too (fork, inheritance) */
  struct iot_ep *ep; /* set when it is an epoll instance */
  struct iot_reg *targets;
  UT_hash_handle hh;
};
struct iot_fdent {
  uint32_t ofd;
  uint8_t kind;
  uint8_t pad[3];
  struct iot_ep *ep; /* for an epoll fd: its set, read without the lock by epoll_wait */
};

static struct iot_fdent *iot_fds;
static unsigned iot_fds_cap;
static struct iot_ofd *iot_ofds;
static uint32_t iot_next_ofd = 1;
static uint32_t iot_epoch; /* bumped when an update had to be skipped: every set is recounted */
static void *iot_lock_owner;

int iot_fdtab_init(void) {
  struct rlimit rl;
  rlim_t cap = 1u << 20;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max != RLIM_INFINITY && rl.rlim_max < cap)
    cap = rl.rlim_max < 1024 ? 1024 : rl.rlim_max;
  /* Reserved, not committed: only the pages of fd numbers in use are ever touched. */
  void *p = mmap(NULL, cap * sizeof *iot_fds, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED)
    return -1;
  iot_fds = p;
  iot_fds_cap = (unsigned)cap;
  return 0;
}

/* Takes the table's lock; 0 when this thread already holds it (a signal handler re-entered). */
static int iot_lock(void) {
  void *me = &iot_self, *none = NULL;
  if (__atomic_load_n(&iot_lock_owner, __ATOMIC_RELAXED) == me)
    return 0;
  for (int spins = 0; !__atomic_compare_exchange_n(&iot_lock_owner, &none, me, 0, __ATOMIC_ACQUIRE,
                                                   __ATOMIC_RELAXED);
       spins++, none = NULL)
    if (spins > 100)
      sched_yield();
  return 1;
}
static void iot_unlock(void) {
  __atomic_store_n(&iot_lock_owner, NULL, __ATOMIC_RELEASE);
}
static void iot_skipped(void) {
  __atomic_add_fetch(&iot_epoch, 1, __ATOMIC_RELAXED);
}

/* Without the lock, only the lock-free part of an entry may change: its kind, and its set. */
static void iot_mark_unlocked(int fd, int kind) {
  __atomic_store_n(&iot_fds[fd].kind, (uint8_t)kind, __ATOMIC_RELAXED);
  __atomic_store_n(&iot_fds[fd].ep, NULL, __ATOMIC_RELEASE);
}

static int iot_kind_of_mode(mode_t m) {
  return S_ISSOCK(m) ? IOT_FD_SOCKET : S_ISFIFO(m) ? IOT_FD_PIPE : IOT_FD_OTHER;
}

int iot_fd_kind(int fd) {
  if (fd < 0)
    return IOT_FD_UNKNOWN;
  if ((unsigned)fd < iot_fds_cap) {
    uint8_t k = __atomic_load_n(&iot_fds[fd].kind, __ATOMIC_RELAXED);
    if (IOT_LIKELY(k != IOT_FD_UNKNOWN))
      return k;
  }
  struct stat st;
  int saved = errno;
  long r = syscall(SYS_fstat, fd, &st); /* once per fd: the answer is kept below */
  errno = saved;
  if (r != 0)
    return IOT_FD_UNKNOWN;
  int k = iot_kind_of_mode(st.st_mode);
  if ((unsigned)fd < iot_fds_cap) {
    uint8_t expect = IOT_FD_UNKNOWN;
    __atomic_compare_exchange_n(&iot_fds[fd].kind, &expect, (uint8_t)k, 0, __ATOMIC_RELAXED,
                                __ATOMIC_RELAXED);
  }
  return k;
}

static struct iot_ofd *iot_ofd_find(uint32_t id) {
  struct iot_ofd *o = NULL;
  if (id)
    HASH_FIND(hh, iot_ofds, &id, sizeof id, o);
  return o;
}

static struct iot_ofd *iot_ofd_new(int shared) {
  struct iot_ofd *o = iot_pool_alloc(sizeof *o);
  if (!o)
    return NULL;
  o->id = iot_next_ofd++;
  o->refs = 1;
  o->shared = shared;
  HASH_ADD(hh, iot_ofds, id, sizeof o->id, o);
  return o;
}

/* The description behind fd; one made up (and marked shared) for fds the shim never saw created. */
static struct iot_ofd *iot_ofd_of(int fd) {
  if (fd < 0 || (unsigned)fd >= iot_fds_cap)
    return NULL;
  struct iot_ofd *o = iot_ofd_find(iot_fds[fd].ofd);
  if (!o && (o = iot_ofd_new(1)) != NULL)
    iot_fds[fd].ofd = o->id;
  return o;
}

static void iot_reg_drop(struct iot_reg *r, struct iot_ofd *target) {
  HASH_DEL(r->ep->regs, r);
  if (r->ep->count)
    r->ep->count--;
  else
    r->ep->uncertain = 1;
  if (target)
    DL_DELETE2(target->targets, r, oprev, onext);
  iot_pool_free(r, sizeof *r);
}

static void iot_ep_destroy(struct iot_ep *ep) {
  struct iot_reg *r, *tmp;
  HASH_ITER(hh, ep->regs, r, tmp) {
    iot_reg_drop(r, iot_ofd_find(r->key.ofd));
  }
  iot_pool_free(ep, sizeof *ep);
}

/* The last fd of a description closed in this process. */
static void iot_ofd_release(struct iot_ofd *o) {
  struct iot_reg *r, *tmp;
  DL_FOREACH_SAFE2(o->targets, r, tmp, onext) {
    if (o->shared) { /* another process may keep the description, and the registration, alive */
      r->ep->uncertain = 1;
      DL_DELETE2(o->targets, r, oprev, onext);
      r->onext = r->oprev = NULL;
      r->key.ofd = 0;
    } else {
      iot_reg_drop(r, o);
    }
  }
  if (o->ep)
    iot_ep_destroy(o->ep);
  HASH_DEL(iot_ofds, o);
  iot_pool_free(o, sizeof *o);
}

static void iot_close_locked(int fd) {
  struct iot_fdent *e = &iot_fds[fd];
  struct iot_ofd *o = iot_ofd_find(e->ofd);
  __atomic_store_n(&e->kind, IOT_FD_UNKNOWN, __ATOMIC_RELAXED);
  __atomic_store_n(&e->ep, NULL, __ATOMIC_RELEASE);
  e->ofd = 0;
  if (o && --o->refs == 0)
    iot_ofd_release(o);
}

void iot_fd_created(int fd, int kind) {
  if (fd < 0 || (unsigned)fd >= iot_fds_cap)
    return;
  if (!iot_lock()) {
    iot_skipped();
    iot_mark_unlocked(fd, kind);
    iot_fds[fd].ofd = 0;
    return;
  }
  iot_close_locked(fd); /* a stale entry: the fd was closed where the shim could not see */
  struct iot_ofd *o = iot_ofd_new(0);
  if (o) {
    iot_fds[fd].ofd = o->id;
    if (kind == IOT_FD_EPOLL && (o->ep = iot_pool_alloc(sizeof *o->ep)) != NULL)
      o->ep->epoch = iot_epoch;
    __atomic_store_n(&iot_fds[fd].ep, o->ep, __ATOMIC_RELEASE);
  }
  __atomic_store_n(&iot_fds[fd].kind, (uint8_t)kind, __ATOMIC_RELAXED);
  iot_unlock();
}

void iot_fd_dup(int oldfd, int newfd) {
  if (oldfd == newfd || oldfd < 0 || newfd < 0 || (unsigned)oldfd >= iot_fds_cap ||
      (unsigned)newfd >= iot_fds_cap)
    return;
  if (!iot_lock()) {
    iot_skipped();
    iot_mark_unlocked(newfd, IOT_FD_UNKNOWN);
    iot_fds[newfd].ofd = 0;
    return;
  }
  iot_close_locked(newfd);
  struct iot_ofd *o = iot_ofd_of(oldfd);
  if (o) {
    o->refs++;
    iot_fds[newfd].ofd = o->id;
    __atomic_store_n(&iot_fds[newfd].ep, o->ep, __ATOMIC_RELEASE);
  }
  __atomic_store_n(&iot_fds[newfd].kind, iot_fds[oldfd].kind, __ATOMIC_RELAXED);
  iot_unlock();
}

void iot_fd_closed(int fd) {
  if (fd < 0 || (unsigned)fd >= iot_fds_cap)
    return;
  if (!iot_lock()) {
    iot_skipped();
    iot_mark_unlocked(fd, IOT_FD_UNKNOWN);
    return;
  }
  iot_close_locked(fd);
  iot_unlock();
}

void iot_fd_closed_range(unsigned first, unsigned last) {
  if (last >= iot_fds_cap)
    last = iot_fds_cap - 1;
  int locked = iot_lock();
  if (!locked)
    iot_skipped();
  for (unsigned fd = first; fd <= last && fd < iot_fds_cap; fd++) {
    if (!iot_fds[fd].ofd && !iot_fds[fd].kind)
      continue;
    if (locked)
      iot_close_locked((int)fd);
    else
      iot_mark_unlocked((int)fd, IOT_FD_UNKNOWN);
  }
  if (locked)
    iot_unlock();
}

/* After fork, in parent and child alike: every description now has a holder we cannot see. */
void iot_fd_forked(void) {
  iot_lock_owner = NULL; /* in the child, a holder from another thread no longer exists */
  if (!iot_lock())
    return;
  struct iot_ofd *o, *tmp;
  HASH_ITER(hh, iot_ofds, o, tmp) {
    o->shared = 1;
  }
  iot_unlock();
}

void iot_epoll_ctl_done(int epfd, int op, int fd) {
  if (!iot_lock()) {
    iot_skipped();
    return;
  }
  struct iot_ofd *eo = iot_ofd_of(epfd), *t = iot_ofd_of(fd);
  if (eo && !eo->ep && (eo->ep = iot_pool_alloc(sizeof *eo->ep)) != NULL) {
    eo->ep->uncertain = 1; /* an epoll fd the shim did not see created: recount it */
    __atomic_store_n(&iot_fds[epfd].ep, eo->ep, __ATOMIC_RELEASE);
  }
  if (!eo || !eo->ep || !t) {
    iot_unlock();
    return;
  }
  struct iot_ep *ep = eo->ep;
  struct iot_reg *r = NULL, probe = {.key = {fd, t->id}};
  HASH_FIND(hh, ep->regs, &probe.key, sizeof probe.key, r);
  if (op == EPOLL_CTL_ADD && !r && (r = iot_pool_alloc(sizeof *r)) != NULL) {
    r->key = probe.key;
    r->ep = ep;
    HASH_ADD(hh, ep->regs, key, sizeof r->key, r);
    DL_APPEND2(t->targets, r, oprev, onext);
    ep->count++;
  } else if (op == EPOLL_CTL_DEL) {
    if (r)
      iot_reg_drop(r, t);
    else
      ep->uncertain = 1;
  }
  iot_unlock();
}

/* Counts the "tfd:" lines of /proc/self/fdinfo/EPFD: the kernel's own list of the set. */
static long iot_count_fdinfo(int epfd) {
  char path[64], buf[8192];
  snprintf(path, sizeof path, "/proc/self/fdinfo/%d", epfd);
  int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  long count = 0;
  int at_line_start = 1;
  char prev[4] = {0};
  for (;;) {
    long n = syscall(SYS_read, fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    for (long i = 0; i < n; i++) {
      char c = buf[i];
      if (at_line_start >= 1 && at_line_start <= 4) {
        prev[at_line_start - 1] = c;
        if (at_line_start == 4 && prev[0] == 't' && prev[1] == 'f' && prev[2] == 'd' && c == ':')
          count++;
        at_line_start = at_line_start == 4 ? 0 : at_line_start + 1;
      }
      if (c == '\n')
        at_line_start = 1;
    }
  }
  syscall(SYS_close, fd);
  return count;
}

uint32_t iot_epoll_interest(int epfd) {
  /* The common case, without the lock: a set whose count the shim trusts.  Sets live in pool
   * memory that is never unmapped, so a set freed under our feet reads stale, never faults. */
  if (epfd >= 0 && (unsigned)epfd < iot_fds_cap) {
    struct iot_ep *ep = __atomic_load_n(&iot_fds[epfd].ep, __ATOMIC_ACQUIRE);
    if (ep && !ep->uncertain && ep->epoch == __atomic_load_n(&iot_epoch, __ATOMIC_RELAXED))
      return ep->count;
  }
  if (!iot_lock())
    return IOT_UNKNOWN;
  struct iot_ofd *eo =
      epfd >= 0 && (unsigned)epfd < iot_fds_cap ? iot_ofd_find(iot_fds[epfd].ofd) : NULL;
  uint32_t epoch = __atomic_load_n(&iot_epoch, __ATOMIC_RELAXED);
  if (eo && !eo->ep && (eo->ep = iot_pool_alloc(sizeof *eo->ep)) != NULL)
    eo->ep->uncertain = 1;
  if (eo && eo->ep)
    __atomic_store_n(&iot_fds[epfd].ep, eo->ep, __ATOMIC_RELEASE);
  uint32_t n = IOT_UNKNOWN;
  if (!eo) {
    long c = iot_count_fdinfo(epfd); /* an epoll fd from before the shim, or unseen: ask */
    n = c < 0 ? IOT_UNKNOWN : (uint32_t)c;
  } else if (eo->ep) {
    struct iot_ep *ep = eo->ep;
    if (ep->uncertain || ep->epoch != epoch) {
      long c = iot_count_fdinfo(epfd);
      if (c >= 0) {
        ep->count = (uint32_t)c; /* the kernel's word; later ADD/DEL move it from there */
        ep->uncertain = 0;
        ep->epoch = epoch;
      }
    }
    n = ep->uncertain ? IOT_UNKNOWN : ep->count;
  }
  iot_unlock();
  return n;
}
