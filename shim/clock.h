/* The shim's clock: raw TSC reads on the hot path, converted to CLOCK_MONOTONIC nanoseconds. */
#ifndef IOT_CLOCK_H
#define IOT_CLOCK_H
#include <stdint.h>
#include <time.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

/*
 * A vDSO clock_gettime costs ~27 ns here and rdtsc ~12 ns; a traced call reads the clock
 * twice.  Stamps are TSC ticks when the kernel itself keeps time with an invariant TSC, and
 * CLOCK_MONOTONIC nanoseconds otherwise.  Ticks become nanoseconds against one anchor taken at
 * start, with a rate measured against CLOCK_MONOTONIC and measured again each time the time
 * since the anchor doubles, so the conversion error stays in the tens of nanoseconds.
 */
struct iot_clock {
  int tsc;             /* stamps are TSC ticks */
  uint64_t mult;       /* nanoseconds per tick, times 2^32 */
  uint64_t base_ticks; /* the anchor */
  uint64_t base_ns;
  uint64_t next_refine; /* tick count after which the rate is measured again */
};
extern struct iot_clock iot_clock;

static inline uint64_t iot_mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t iot_now(void) {
#if defined(__x86_64__)
  if (__builtin_expect(iot_clock.tsc, 1))
    return __rdtsc();
#endif
  return iot_mono_ns();
}

void iot_clock_init(void);
void iot_clock_refine(uint64_t now);

/* A stamp as CLOCK_MONOTONIC nanoseconds. */
static inline uint64_t iot_stamp_ns(uint64_t stamp) {
  if (!iot_clock.tsc)
    return stamp;
  if (__builtin_expect((int64_t)(stamp - iot_clock.next_refine) > 0, 0))
    iot_clock_refine(stamp);
  int64_t d = (int64_t)(stamp - iot_clock.base_ticks);
  return iot_clock.base_ns + (uint64_t)(((__int128)d * (__int128)iot_clock.mult) >> 32);
}

/* The nanoseconds between two stamps. */
static inline uint64_t iot_stamp_dur_ns(uint64_t t0, uint64_t t1) {
  if (t1 <= t0)
    return 0;
  if (!iot_clock.tsc)
    return t1 - t0;
  return (uint64_t)(((unsigned __int128)(t1 - t0) * iot_clock.mult) >> 32);
}
#endif
