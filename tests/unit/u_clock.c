/* Brackets timed polls with CLOCK_MONOTONIC reads, for the test to check the recorded times. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(void) {
  const int timeouts_ms[] = {0, 20, 1, 100, 5, 300, 0};
  for (size_t i = 0; i < sizeof timeouts_ms / sizeof timeouts_ms[0]; i++) {
    long long before = now_ns();
    poll(NULL, 0, timeouts_ms[i]);
    long long after = now_ns();
    printf("%d %lld %lld\n", timeouts_ms[i], before, after);
  }
  return 0;
}
