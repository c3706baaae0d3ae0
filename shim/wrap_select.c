/* select and pselect: the kernel scans nfds bits of each set passed and copies the sets both ways.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/select.h>

#include "iot_shim.h"
#include "real.h"

/* Bits set among the first nfds of each set: the fds watched (IOT_UNKNOWN if a set is unreadable,
 * and then the kernel will answer EFAULT). */
static uint32_t iot_watched(int nfds, fd_set *r, fd_set *w, fd_set *e, uint8_t *flags) {
  fd_set *sets[3] = {r, w, e};
  const uint8_t bit[3] = {IOT_EF_SEL_READ, IOT_EF_SEL_WRITE, IOT_EF_SEL_EXCEPT};
  uint32_t count = 0;
  for (int s = 0; s < 3; s++) {
    if (!sets[s])
      continue;
    *flags |= bit[s];
    if (nfds <= 0)
      continue;
    if (!iot_readable(sets[s], (size_t)(nfds + 7) / 8))
      return IOT_UNKNOWN;
    const unsigned long *words = (const unsigned long *)sets[s];
    int full = nfds / (8 * (int)sizeof(long)), rest = nfds % (8 * (int)sizeof(long));
    for (int i = 0; i < full; i++)
      count += (uint32_t)__builtin_popcountl(words[i]);
    if (rest)
      count += (uint32_t)__builtin_popcountl(words[full] & ((1ul << rest) - 1));
  }
  return count;
}

static void iot_sets_ok(int ret, fd_set *r, fd_set *w, fd_set *e) {
  if (ret >= 0)
    iot_ptr_ok(r), iot_ptr_ok(w), iot_ptr_ok(e);
}

IOT_EXPORT int select(int nfds, fd_set *r, fd_set *w, fd_set *e, struct timeval *tv) {
  struct iot_span c;
  iot_begin(&c);
  if (!c.on)
    return IOT_REAL(select)(nfds, r, w, e, tv);
  uint8_t flags = 0;
  uint32_t watched = iot_watched(nfds, r, w, e, &flags);
  c.t0 = iot_now(); /* counting is the shim's work, not the call's */
  int ret = IOT_REAL(select)(nfds, r, w, e, tv);
  iot_end(&c);
  iot_sets_ok(ret, r, w, e);
  iot_finish(&c, IOT_CALL_SELECT, -1, ret, nfds < 0 ? 0 : (uint64_t)nfds, watched, flags);
  return ret;
}

IOT_EXPORT int pselect(int nfds, fd_set *r, fd_set *w, fd_set *e, const struct timespec *ts,
                       const sigset_t *ss) {
  struct iot_span c;
  iot_begin(&c);
  if (!c.on)
    return IOT_REAL(pselect)(nfds, r, w, e, ts, ss);
  uint8_t flags = 0;
  uint32_t watched = iot_watched(nfds, r, w, e, &flags);
  c.t0 = iot_now();
  int ret = IOT_REAL(pselect)(nfds, r, w, e, ts, ss);
  iot_end(&c);
  iot_sets_ok(ret, r, w, e);
  iot_finish(&c, IOT_CALL_PSELECT, -1, ret, nfds < 0 ? 0 : (uint64_t)nfds, watched, flags);
  return ret;
}
