/* epoll sets shared with other processes: a page of change counters that forked relatives share,
 * and the rules for when a set's count is trusted or asked of the kernel again. */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <unistd.h>

#include "fdtab.h"
#include "iot_shim.h"

/*
 * Forked processes share a page of change counters (MAP_SHARED survives
 * fork): whoever changes a set that was shared at a fork bumps its counter,
 * and the others recount it from /proc/self/fdinfo before trusting their count
 * again.  A process that adds an fd of its own to such a set also leaves its
 * pid there: that registration goes when the process exits, with no shim code
 * running, so to every other process the set is then like one held outside
 * the family ("foreign": received or sent with SCM_RIGHTS, inherited across
 * exec, or with a registered fd that another process keeps): only a fresh
 * recount is trusted.  Recounts are rate-limited; in between, such a set's
 * size is recorded as unknown.  A fork whose child never touches the set (a
 * redis BGSAVE) leaves the parent's counts exact.
 */
struct iot_family_slot {
  uint32_t changes; /* bumped by every change to a shared set with this slot */
  int32_t adder;    /* the pid that added fds of its own to it; -1 if several did */
};
#define IOT_FAMILY_SLOTS (4096u / sizeof(struct iot_family_slot))
static struct iot_family_slot *iot_family; /* shared with forked relatives */
static int32_t iot_my_pid;                 /* 0 when it could not be asked (sandboxed) */
#define IOT_RECOUNT_NS 10000000u           /* at most one recount per set per 10 ms */

void iot_ep_family_init(void) {
  void *fam = mmap(NULL, IOT_FAMILY_SLOTS * sizeof *iot_family, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  iot_family = fam == MAP_FAILED ? NULL : fam;
  iot_my_pid = (int32_t)getpid();
}

void iot_ep_family_forked_child(void) {
  iot_my_pid = iot_sandboxed ? 0 : (int32_t)getpid();
}

static struct iot_family_slot *iot_slot(const struct iot_ep *ep) {
  return iot_family ? &iot_family[ep->id % IOT_FAMILY_SLOTS] : NULL;
}
static uint32_t *iot_counter(const struct iot_ep *ep) {
  struct iot_family_slot *f = iot_slot(ep);
  return f ? &f->changes : NULL;
}

/* This process registered an fd only it holds in a shared set: its exit will change the set. */
void iot_ep_adopted(struct iot_ep *ep) {
  struct iot_family_slot *f = ep->shared ? iot_slot(ep) : NULL;
  if (!f)
    return;
  int32_t none = 0, me = iot_my_pid ? iot_my_pid : -1;
  if (!__atomic_compare_exchange_n(&f->adder, &none, me, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED) &&
      none != me)
    __atomic_store_n(&f->adder, -1, __ATOMIC_RELAXED);
}

/* This process changed the set's size: tell the family, and keep trusting our own count unless
 * someone else changed it too. */
void iot_ep_changed(struct iot_ep *ep) {
  uint32_t *c = iot_counter(ep);
  if (!ep->shared || !c)
    return;
  uint32_t now = __atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
  if (now == ep->seen + 1)
    ep->seen = now;
}

void iot_ep_forked(struct iot_ep *ep) {
  uint32_t *c = iot_counter(ep);
  ep->shared = 1;
  ep->seen = c ? __atomic_load_n(c, __ATOMIC_RELAXED) : 0;
  if (!c)
    ep->foreign = 1; /* no counters to share: treat the relative as a stranger */
}

/* 1 if the count may be recorded as it is, without the lock. */
int iot_ep_trusted(const struct iot_ep *ep) {
  if (ep->uncertain || ep->foreign || ep->epoch != __atomic_load_n(&iot_epoch, __ATOMIC_RELAXED))
    return 0;
  struct iot_family_slot *f = ep->shared ? iot_slot(ep) : NULL;
  if (!f)
    return 1;
  int32_t adder = __atomic_load_n(&f->adder, __ATOMIC_RELAXED);
  return __atomic_load_n(&f->changes, __ATOMIC_RELAXED) == ep->seen &&
         (adder == 0 || (adder == iot_my_pid && adder > 0));
}

int iot_ep_recounted_lately(const struct iot_ep *ep) {
  uint64_t last = ep->recounted;
  return last && iot_stamp_dur_ns(last, iot_now()) < IOT_RECOUNT_NS;
}

/* Asks the kernel, at most once per IOT_RECOUNT_NS; the count, or IOT_UNKNOWN. */
uint32_t iot_ep_recount(struct iot_ep *ep, int epfd) {
  if (iot_ep_recounted_lately(ep))
    return IOT_UNKNOWN;
  ep->recounted = iot_now();
  uint32_t *c = iot_counter(ep);
  uint32_t before = c ? __atomic_load_n(c, __ATOMIC_RELAXED) : 0;
  uint32_t epoch = __atomic_load_n(&iot_epoch, __ATOMIC_RELAXED);
  long n = iot_count_fdinfo(epfd);
  if (n < 0)
    return IOT_UNKNOWN;
  ep->count = (uint32_t)n; /* the kernel's word; later ADD/DEL move it from there */
  ep->uncertain = 0;
  ep->epoch = epoch;
  ep->seen = before;
  return ep->count;
}
