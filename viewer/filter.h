/* The options every command takes: the filters --from/--to, --pid, --tid, --call, --fd, and the
 * clock that places files on one axis (--clock). */
#ifndef IOTV_FILTER_H
#define IOTV_FILTER_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>

#include "align.h"
#include "iotrace_format.h"

struct iotv_trace;

#define IOTV_FILTER_MAX 64 /* values one of --pid, --tid, --fd may list */

struct iotv_filter {
  int has_from, has_to;
  uint64_t from, to;         /* from the start of the earliest file, as given */
  uint64_t axis_from, axis_to; /* the same on the common axis, once bound */
  uint32_t pids[IOTV_FILTER_MAX], tids[IOTV_FILTER_MAX];
  int32_t fds[IOTV_FILTER_MAX];
  size_t npids, ntids, nfds;
  int calls_set;
  unsigned char calls[IOT_CALL_COUNT]; /* with calls_set: which ids pass */
  int active;                          /* anything at all to filter */
  enum iotv_clock clock;               /* --clock; IOTV_CLOCK_AUTO by default */
};

/* The long options, to put in a command's option table; their values start at IOTV_FILTER_OPT. */
#define IOTV_FILTER_OPT 0x1000
#define IOTV_FILTER_OPTIONS                                                                        \
  {"from", required_argument, NULL, IOTV_FILTER_OPT},                                             \
      {"to", required_argument, NULL, IOTV_FILTER_OPT + 1},                                       \
      {"pid", required_argument, NULL, IOTV_FILTER_OPT + 2},                                      \
      {"tid", required_argument, NULL, IOTV_FILTER_OPT + 3},                                      \
      {"call", required_argument, NULL, IOTV_FILTER_OPT + 4},                                     \
      {"fd", required_argument, NULL, IOTV_FILTER_OPT + 5},                                       \
      {"clock", required_argument, NULL, IOTV_FILTER_OPT + 6}
#define IOTV_FILTER_HELP                                                                           \
  "  --from T, --to T  only events that overlap this window from the start of the earliest\n"    \
  "                    trace (1.5s, 200ms, 30us, 10ns)\n"                                         \
  "  --pid P,...  --tid T,...  --call NAME,...  --fd N,...  only these (lists: commas)\n"     \
  "  --clock C    place files on one axis by auto (default), mono or wall clock: auto uses\n"  \
  "               the monotonic clock when every file comes from one boot of one host\n"

/* Whether opt is one of the filter options. */
static inline int iotv_filter_is_option(int opt) {
  return opt >= IOTV_FILTER_OPT && opt < IOTV_FILTER_OPT + 7;
}
/* Takes one filter option: 0, or -1 with the reason in why. */
int iotv_filter_option(struct iotv_filter *f, int opt, const char *arg, char *why, size_t len);
/* In a command's option loop: takes a filter option or returns the usage error for cmd. */
#define IOTV_FILTER_TAKE(f, cmd, opt, arg)                                                         \
  do {                                                                                             \
    char why_[200];                                                                                \
    if (iotv_filter_option((f), (opt), (arg), why_, sizeof why_) < 0)                              \
      return iotv_usage_error((cmd), "%s", why_);                                                  \
  } while (0)

/* Places the window on the common axis (start: the earliest file's start there), drops the
 * threads that --tid leaves out, and makes every cursor over tr skip what does not pass. */
void iotv_filter_bind(struct iotv_filter *f, struct iotv_trace *tr, size_t n, uint64_t start);
/* Whether a file's process passes --pid. */
int iotv_filter_pid(const struct iotv_filter *f, uint32_t pid);
/* Whether one event of thread tid in t passes (the cursor asks). */
int iotv_filter_event(const struct iotv_filter *f, const struct iotv_trace *t,
                      const struct iot_event *e);

#endif
