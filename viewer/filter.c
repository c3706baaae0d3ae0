/* The event filters every command takes: --from/--to, --pid, --tid, --call, --fd. */
#include "filter.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "reader.h"
#include "timespec.h"

/* "1,2,30" into out; -1 when an item is not a number or there are too many. */
static int number_list(const char *arg, int64_t *out, size_t *n, int64_t min) {
  const char *p = arg;
  *n = 0;
  while (*p) {
    char *end;
    long long v = strtoll(p, &end, 10);
    if (end == p || v < min || v > UINT32_MAX || (*end && *end != ',') || *n == IOTV_FILTER_MAX)
      return -1;
    out[(*n)++] = v;
    p = *end ? end + 1 : end;
  }
  return *n ? 0 : -1;
}

static int call_list(struct iotv_filter *f, const char *arg) {
  char *copy = strdup(arg), *tok, *save = NULL;
  int ok = copy != NULL;
  for (tok = copy ? strtok_r(copy, ",", &save) : NULL; ok && tok;
       tok = strtok_r(NULL, ",", &save)) {
    unsigned id = iotv_call_by_name(tok);
    if (id == IOT_CALL_NONE)
      ok = 0;
    else
      f->calls[id] = 1;
  }
  free(copy);
  f->calls_set = 1;
  return ok ? 0 : -1;
}

/* Says why an option's value is refused; returns -1. */
static int bad(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(char *why, size_t len, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, len, fmt, ap);
  va_end(ap);
  return -1;
}

int iotv_filter_option(struct iotv_filter *f, int opt, const char *arg, char *why, size_t len) {
  int64_t v[IOTV_FILTER_MAX];
  size_t n, i;
  if (opt == IOTV_FILTER_OPT + 6)
    return iotv_clock_parse(arg, &f->clock) == 0 ? 0 : bad(why, len, "--clock takes auto, mono or wall");
  f->active = 1;
  switch (opt - IOTV_FILTER_OPT) {
  case 0:
  case 1:
    if (iotv_parse_time(arg, opt == IOTV_FILTER_OPT ? &f->from : &f->to) < 0)
      return bad(why, len, "'%s' is not a time (try 1.5s, 200ms, 30us)", arg);
    *(opt == IOTV_FILTER_OPT ? &f->has_from : &f->has_to) = 1;
    return 0;
  case 2:
  case 3:
    if (number_list(arg, v, &n, 0) < 0)
      return bad(why, len, "--%s takes numbers separated by commas: '%s'",
                              opt == IOTV_FILTER_OPT + 2 ? "pid" : "tid", arg);
    for (i = 0; i < n; i++)
      (opt == IOTV_FILTER_OPT + 2 ? f->pids : f->tids)[i] = (uint32_t)v[i];
    *(opt == IOTV_FILTER_OPT + 2 ? &f->npids : &f->ntids) = n;
    return 0;
  case 4:
    if (call_list(f, arg) < 0)
      return bad(why, len, "--call takes call names (recv,epoll_wait,...): '%s'", arg);
    return 0;
  case 5:
    if (number_list(arg, v, &n, -1) < 0)
      return bad(why, len, "--fd takes numbers separated by commas: '%s'", arg);
    for (i = 0; i < n; i++)
      f->fds[i] = (int32_t)v[i];
    f->nfds = n;
    return 0;
  default:
    return bad(why, len, "unknown option");
  }
}

static int in_u32(const uint32_t *list, size_t n, uint32_t v) {
  size_t i;
  for (i = 0; i < n; i++)
    if (list[i] == v)
      return 1;
  return 0;
}

int iotv_filter_pid(const struct iotv_filter *f, uint32_t pid) {
  return !f || f->npids == 0 || in_u32(f->pids, f->npids, pid);
}

void iotv_filter_bind(struct iotv_filter *f, struct iotv_trace *tr, size_t n, uint64_t start) {
  size_t i, k, kept;
  if (!f->active)
    return;
  f->axis_from = f->has_from ? start + f->from : 0;
  f->axis_to = f->has_to ? start + f->to : UINT64_MAX;
  for (i = 0; i < n; i++) {
    struct iotv_trace *t = &tr[i];
    t->filter = f;
    if (f->ntids == 0)
      continue;
    for (k = kept = 0; k < t->nthreads; k++)
      if (in_u32(f->tids, f->ntids, t->threads[k].tid))
        t->threads[kept++] = t->threads[k];
    t->nthreads = kept;
  }
}

int iotv_filter_event(const struct iotv_filter *f, const struct iotv_trace *t,
                      const struct iot_event *e) {
  size_t i;
  if (f->calls_set && !f->calls[e->call])
    return 0;
  if (f->nfds) {
    for (i = 0; i < f->nfds && f->fds[i] != e->fd; i++)
      ;
    if (i == f->nfds)
      return 0;
  }
  if (f->has_from || f->has_to) {
    uint64_t s = t->anchor_ns + e->start_ns, end = s + iot_event_dur_ns(e);
    if (s >= f->axis_to || (end <= f->axis_from && !(end == s && s == f->axis_from)))
      return 0;
  }
  return 1;
}
