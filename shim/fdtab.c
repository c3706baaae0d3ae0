/* Open file descriptions and epoll interest sets: which fds share a description, which sets watch
 * it, and how large each set is; the only user of uthash. */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "fdtab.h"
#include "iot_shim.h"
#include "pool.h"

static void iot_skipped(void);
#define HASH_NONFATAL_OOM 1
#define uthash_malloc(sz) iot_pool_alloc(sz)
#define uthash_free(p, sz) iot_pool_free((p), (sz))
#define uthash_nonfatal_oom(obj) iot_skipped() /* an entry the table could not keep: recount */
#include <uthash.h>
#include <utlist.h>

/*
 * The kernel keys an epoll registration by (open file description, fd number)
 * and drops it only when the description is released: close(fd) while a dup
 * of it is open leaves the registration (and its events) in place.  So each fd
 * maps to a description id, descriptions count their fds, and a registration
 * goes when its description's last fd closes.
 *
 * Another process may hold a description too (fork, SCM_RIGHTS, exec): how
 * far a set's count is then trusted is epfamily.c's business.
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
struct iot_ofd {
  uint32_t id;
  uint32_t refs;     /* fds of this process that refer to it */
  int shared;        /* another process may refer to it too (fork, inheritance, SCM_RIGHTS) */
  struct iot_ep *ep; /* set when it is an epoll instance */
  struct iot_reg *targets;
  UT_hash_handle hh;
};

struct iot_fdent *iot_fds;
unsigned iot_fds_cap;
static struct iot_ofd *iot_ofds;
static uint32_t iot_next_ofd = 1;
uint32_t iot_epoch; /* bumped when an update had to be skipped: every set is recounted */

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
  iot_ep_family_init();
  iot_pool_reserve(); /* a first slab now, while mapping is still allowed */
  iot_fds = p;
  iot_fds_cap = (unsigned)cap;
  return 0;
}

static void iot_skipped(void) {
  __atomic_add_fetch(&iot_epoch, 1, __ATOMIC_RELAXED);
}

/* Without the lock, only the lock-free part of an entry may change: its kind, and its set. */
static void iot_mark_unlocked(int fd, int kind) {
  __atomic_store_n(&iot_fds[fd].kind, (uint8_t)kind, __ATOMIC_RELAXED);
  __atomic_store_n(&iot_fds[fd].ep, NULL, __ATOMIC_RELEASE);
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

static struct iot_ep *iot_ep_new(struct iot_ofd *o) {
  struct iot_ep *ep = iot_pool_alloc(sizeof *ep);
  if (!ep)
    return NULL;
  ep->epoch = iot_epoch;
  ep->id = o->id;
  if (o->shared) /* not seen created: who else holds it is unknown */
    ep->uncertain = ep->foreign = 1;
  return ep;
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
  iot_ep_changed(r->ep);
  if (target)
    DL_DELETE2(target->targets, r, oprev, onext);
  iot_pool_free(r, sizeof *r);
}

static void iot_ep_destroy(struct iot_ep *ep) {
  struct iot_reg *r, *tmp;
  HASH_ITER(hh, ep->regs, r, tmp) {
    HASH_DEL(ep->regs, r);
    struct iot_ofd *target = iot_ofd_find(r->key.ofd);
    if (target)
      DL_DELETE2(target->targets, r, oprev, onext);
    iot_pool_free(r, sizeof *r);
  }
  /* Pool memory is never unmapped: a reader that loaded the pointer sees a set never trusted. */
  ep->uncertain = 1;
  iot_pool_free(ep, sizeof *ep);
}

/* The last fd of a description closed in this process. */
static void iot_ofd_release(struct iot_ofd *o) {
  struct iot_reg *r, *tmp;
  DL_FOREACH_SAFE2(o->targets, r, tmp, onext) {
    if (o->shared) { /* another process may keep the description, and the registration, alive
                      * until it closes or exits, unseen: from now on only a recount is right */
      r->ep->uncertain = 1;
      r->ep->foreign = 1;
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
    if (kind == IOT_FD_EPOLL)
      o->ep = iot_ep_new(o);
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

/* fds sent to another process with SCM_RIGHTS: it holds their descriptions from now on. */
void iot_fd_sent(int fd) {
  if (fd < 0 || (unsigned)fd >= iot_fds_cap)
    return;
  if (!iot_lock()) {
    iot_skipped();
    return;
  }
  struct iot_ofd *o = iot_ofd_of(fd);
  if (o) {
    o->shared = 1;
    if (o->ep)
      o->ep->foreign = 1;
  }
  iot_unlock();
}

void iot_fdtab_forget(void) {
  iot_ofds = NULL; /* its entries stay in the pool, unused */
  iot_skipped();
}

/* Every description now has a holder in the other process of the fork: sets become shared. */
static void iot_mark_all_shared(void) {
  struct iot_ofd *o, *tmp;
  HASH_ITER(hh, iot_ofds, o, tmp) {
    o->shared = 1;
    if (o->ep)
      iot_ep_forked(o->ep);
  }
}

/* After fork, in the parent: the lock its prepare handler took is released here. */
void iot_fd_forked(void) {
  if (!iot_lock_fork_handback() && !iot_lock()) {
    iot_skipped();
    return;
  }
  iot_mark_all_shared();
  iot_unlock();
}

/* After fork, in the child.  After a _Fork (no prepare handler), a thread that no longer exists
 * may have held the lock mid-update: that table cannot be trusted and is dropped. */
void iot_fd_forked_child(void) {
  iot_ep_family_forked_child();
  if (!iot_lock_fork_handback()) {
    if (iot_lock_orphaned()) {
      iot_fdtab_forget();
      iot_pool_forget();
    }
    if (!iot_lock()) {
      iot_skipped();
      return;
    }
  }
  iot_mark_all_shared();
  iot_unlock();
}

void iot_epoll_ctl_done(int epfd, int op, int fd) {
  if (!iot_lock()) {
    iot_skipped();
    return;
  }
  struct iot_ofd *eo = iot_ofd_of(epfd), *t = iot_ofd_of(fd);
  if (eo && !eo->ep && (eo->ep = iot_ep_new(eo)) != NULL) /* an epoll fd not seen created */
    __atomic_store_n(&iot_fds[epfd].ep, eo->ep, __ATOMIC_RELEASE);
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
    iot_ep_changed(ep);
    if (!t->shared)
      iot_ep_adopted(ep);
  } else if (op == EPOLL_CTL_ADD && !r) {
    ep->uncertain = 1;
  } else if (op == EPOLL_CTL_DEL) {
    if (r)
      iot_reg_drop(r, t);
    else
      ep->uncertain = 1, iot_ep_changed(ep);
  }
  iot_unlock();
}

uint32_t iot_epoll_interest(int epfd) {
  /* The common case, without the lock: a set whose count the shim trusts.  Sets live in pool
   * memory that is never unmapped, so a set freed under our feet reads stale, never faults. */
  struct iot_ep *ep = NULL;
  if (epfd >= 0 && (unsigned)epfd < iot_fds_cap) {
    ep = __atomic_load_n(&iot_fds[epfd].ep, __ATOMIC_ACQUIRE);
    if (ep && iot_ep_trusted(ep))
      return ep->count;
  }
  /* Recounted a moment ago (epfamily.c): no lock, no system call. */
  if (ep && iot_ep_recounted_lately(ep))
    return IOT_UNKNOWN;
  if (epfd < 0 || (unsigned)epfd >= iot_fds_cap)
    return IOT_UNKNOWN;
  if (!iot_lock())
    return IOT_UNKNOWN;
  struct iot_ofd *eo = iot_ofd_of(epfd); /* an epoll fd from before the shim, or unseen: made up */
  if (eo && !eo->ep)
    eo->ep = iot_ep_new(eo);
  uint32_t n = IOT_UNKNOWN;
  if (eo && eo->ep) {
    __atomic_store_n(&iot_fds[epfd].ep, eo->ep, __ATOMIC_RELEASE);
    n = iot_ep_trusted(eo->ep) ? eo->ep->count : iot_ep_recount(eo->ep, epfd);
  }
  iot_unlock();
  return n;
}
