/* Calibrates the TSC against CLOCK_MONOTONIC at start, and again as the run grows longer. */
#define _GNU_SOURCE
#include <string.h>

#include "clock.h"
#include "sys.h"

struct iot_clock iot_clock;

#define IOT_CALIBRATE_NS 200000u /* 0.2 ms at start: a rate good to ~0.03 % until refined */

/* The TSC is usable when the kernel keeps CLOCK_MONOTONIC with it: then it is invariant and
 * synchronised across CPUs, as the kernel checked at boot. */
static int iot_tsc_usable(void) {
#if defined(__x86_64__)
  char src[32] = {0};
  iot_sys_read_file("/sys/devices/system/clocksource/clocksource0/current_clocksource", src,
                    sizeof src - 1);
  return strncmp(src, "tsc", 3) == 0 && (src[3] == '\n' || src[3] == 0);
#else
  return 0;
#endif
}

/* Reads the TSC and the monotonic clock as close together as possible. */
static void iot_pair(uint64_t *ticks, uint64_t *ns) {
#if defined(__x86_64__)
  uint64_t best = ~0ull;
  *ticks = *ns = 0;
  for (int i = 0; i < 3; i++) { /* keep the tightest of three brackets */
    uint64_t a = __rdtsc(), n = iot_mono_ns(), b = __rdtsc();
    if (b - a < best)
      best = b - a, *ticks = a + (b - a) / 2, *ns = n;
  }
#else
  *ticks = *ns = iot_mono_ns();
#endif
}

void iot_clock_init(void) {
  if (!iot_tsc_usable())
    return;
  uint64_t t0, n0, t1, n1;
  iot_pair(&t0, &n0);
  do
    iot_pair(&t1, &n1);
  while (n1 - n0 < IOT_CALIBRATE_NS);
  if (t1 <= t0)
    return;
  iot_clock.base_ticks = t0;
  iot_clock.base_ns = n0;
  iot_clock.mult = (uint64_t)(((unsigned __int128)(n1 - n0) << 32) / (t1 - t0));
  iot_clock.next_refine = t1 + (t1 - t0);
  __atomic_store_n(&iot_clock.tsc, 1, __ATOMIC_RELEASE);
}

void iot_clock_refine(uint64_t now) {
  (void)now;
  uint64_t t, n;
  iot_pair(&t, &n);
  if (t <= iot_clock.base_ticks || n <= iot_clock.base_ns)
    return;
  uint64_t mult =
      (uint64_t)(((unsigned __int128)(n - iot_clock.base_ns) << 32) / (t - iot_clock.base_ticks));
  /* Threads may race here: each computes a valid rate from the same anchor. */
  __atomic_store_n(&iot_clock.mult, mult, __ATOMIC_RELAXED);
  __atomic_store_n(&iot_clock.next_refine, t + (t - iot_clock.base_ticks), __ATOMIC_RELAXED);
}
