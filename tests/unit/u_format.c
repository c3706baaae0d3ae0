/* Checks the format header's derived figures: durations and bytes copied, per call. */
#include <stdio.h>
#include <string.h>

#include "iotrace_format.h"

static int failures;
#define EXPECT(cond)                                                                               \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);                                       \
      failures++;                                                                                  \
    }                                                                                              \
  } while (0)

static void bytes(struct iot_event e, uint64_t in, uint64_t out) {
  struct iot_file_header h;
  memset(&h, 0, sizeof h);
  h.pollfd_size = 8, h.epoll_event_size = 12;
  uint64_t k, u;
  iot_event_bytes(&e, &h, &k, &u);
  if (k != in || u != out) {
    printf("FAIL call %d: to kernel %llu (want %llu), to user %llu (want %llu)\n", e.call,
           (unsigned long long)k, (unsigned long long)in, (unsigned long long)u,
           (unsigned long long)out);
    failures++;
  }
}

int main(void) {
  struct iot_event e = {.dur = 7};
  EXPECT(iot_event_dur_ns(&e) == 7);
  e.flags = IOT_DUR_US << IOT_EF_DUR_SHIFT;
  EXPECT(iot_event_dur_ns(&e) == 7000);
  e.flags = IOT_DUR_MS << IOT_EF_DUR_SHIFT;
  EXPECT(iot_event_dur_ns(&e) == 7000000);
  EXPECT(iot_fdset_bytes(1) == 8 && iot_fdset_bytes(64) == 8 && iot_fdset_bytes(65) == 16);
  /* select with read and write sets, nfds 1025: 2 sets x 17 longs each way */
  bytes((struct iot_event){.call = IOT_CALL_SELECT,
                           .flags = IOT_EF_SEL_READ | IOT_EF_SEL_WRITE,
                           .arg = 1025,
                           .result = 3},
        2 * 136, 2 * 136);
  /* a failed select copies nothing back */
  bytes(
      (struct iot_event){
          .call = IOT_CALL_SELECT, .flags = IOT_EF_SEL_READ, .arg = 10, .result = -1, .err = 4},
      8, 0);
  bytes((struct iot_event){.call = IOT_CALL_POLL, .arg = 100, .result = 0}, 800, 200);
  bytes((struct iot_event){.call = IOT_CALL_POLL, .arg = 100, .result = -1, .err = 14}, 0, 0);
  bytes((struct iot_event){.call = IOT_CALL_EPOLL_WAIT, .arg = 64, .result = 5}, 0, 60);
  bytes((struct iot_event){.call = IOT_CALL_EPOLL_CTL, .arg = 1}, 12, 0);
  bytes((struct iot_event){.call = IOT_CALL_EPOLL_CTL, .arg = 2}, 0, 0);
  bytes((struct iot_event){.call = IOT_CALL_RECV, .arg = 4096, .result = 100}, 0, 100);
  bytes((struct iot_event){.call = IOT_CALL_READ, .arg = 4096, .result = -1, .err = 11}, 0, 0);
  bytes((struct iot_event){.call = IOT_CALL_RECVMMSG, .arg = 8, .aux = 900, .result = 3}, 0, 900);
  EXPECT(IOT_CALL_COUNT == 21);
  printf("%s\n", failures ? "FAILED" : "ok");
  return failures != 0;
}
