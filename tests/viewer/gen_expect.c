/* The summary the generator expects the viewer to print, computed from the events it planned. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "gen_trace.h"

static const char *const call_names[IOT_CALL_COUNT] = {[IOT_CALL_NONE] = "none",
#define GEN_NAME(name, str) [IOT_CALL_##name] = str,
                                                       IOT_CALLS(GEN_NAME)
#undef GEN_NAME
};

struct exp_call {
  uint64_t count, blocked, would_block, errors, time_ns, wait_ns, copy_ns;
  uint64_t fds_scanned, fds_watched, fds_ready, bytes_asked, to_kernel, to_user, interest_max;
  uint64_t errnos[134]; /* failures by errno, [0] for values past it (as the viewer counts) */
  uint64_t *durs;       /* every duration, for exact percentiles */
  size_t ndurs, cap;
};

struct gen_expect {
  struct iot_file_header h; /* for the sizes the byte counts scale by */
  struct exp_call c[IOT_CALL_COUNT];
  uint64_t events, torn;
};

struct gen_expect *gen_expect_new(const struct iot_file_header *h) {
  struct gen_expect *x = calloc(1, sizeof *x);
  if (x)
    x->h = *h;
  return x;
}

void gen_expect_torn(struct gen_expect *x, uint64_t n) {
  x->torn += n;
}

static int is_read(unsigned c) {
  return c == IOT_CALL_RECV || c == IOT_CALL_RECVFROM || c == IOT_CALL_RECVMSG ||
         c == IOT_CALL_RECVMMSG || c == IOT_CALL_READ || c == IOT_CALL_READV;
}

static int is_mux(unsigned c) {
  return (c >= IOT_CALL_SELECT && c <= IOT_CALL_PPOLL) ||
         (c >= IOT_CALL_EPOLL_WAIT && c <= IOT_CALL_EPOLL_PWAIT2);
}

/* The docs' rule, written out independently of the viewer: blocked is the flag unless unknown. */
static int blocked(const struct iot_event *e, int no_rseq) {
  if (no_rseq || (e->flags & IOT_EF_BLOCK_UNKNOWN))
    return iot_event_dur_ns(e) >= 50000;
  return (e->flags & IOT_EF_BLOCKED) != 0;
}

static void count_event(struct gen_expect *x, const struct iot_event *e, int no_rseq) {
  struct exp_call *c = &x->c[e->call];
  uint64_t k, u, d = iot_event_dur_ns(e);
  x->events++;
  c->count++;
  c->blocked += blocked(e, no_rseq);
  c->would_block += (e->flags & IOT_EF_WOULDBLOCK) != 0;
  c->errors += e->result < 0;
  if (e->result < 0)
    c->errnos[e->err < 134 ? e->err : 0]++;
  c->time_ns += d;
  iot_event_bytes(e, &x->h, &k, &u);
  c->to_kernel += k;
  c->to_user += u;
  if (e->call <= IOT_CALL_PPOLL) {
    c->fds_scanned += e->arg;
    c->fds_watched += e->aux;
  }
  if (is_mux(e->call) && e->result > 0)
    c->fds_ready += (uint64_t)e->result;
  if (e->call >= IOT_CALL_EPOLL_WAIT && e->call <= IOT_CALL_EPOLL_PWAIT2 && e->aux != IOT_UNKNOWN &&
      e->aux > c->interest_max)
    c->interest_max = e->aux;
  if (is_read(e->call) && e->call != IOT_CALL_RECVMMSG)
    c->bytes_asked += e->arg;
  if (c->ndurs == c->cap) {
    c->cap = c->cap ? c->cap * 2 : 256;
    c->durs = realloc(c->durs, c->cap * sizeof *c->durs);
    if (!c->durs)
      abort();
  }
  c->durs[c->ndurs++] = d;
}

void gen_expect_group(struct gen_expect *x, const struct gen_event *g, int n, int no_rseq) {
  int i, j;
  for (i = 0; i < n; i++) {
    const struct iot_event *e = &g[i].e;
    uint64_t d = iot_event_dur_ns(e);
    if (!g[i].alive)
      continue;
    count_event(x, e, no_rseq);
    if (e->call == IOT_CALL_PHASE_WAIT || e->call == IOT_CALL_PHASE_COPY) {
      /* A phase whose read is gone keeps its own time on its own row. */
      if (g[i].parent < 0 || !g[g[i].parent].alive) {
        if (e->call == IOT_CALL_PHASE_WAIT)
          x->c[e->call].wait_ns += d;
        else
          x->c[e->call].copy_ns += d;
      }
    } else if (is_read(e->call)) {
      uint64_t w = 0, cp = 0;
      int nw = 0, nc = 0;
      for (j = 0; j < n; j++) {
        if (g[j].parent != i || !g[j].alive)
          continue;
        if (g[j].e.call == IOT_CALL_PHASE_WAIT)
          nw++, w += iot_event_dur_ns(&g[j].e);
        else
          nc++, cp += iot_event_dur_ns(&g[j].e);
      }
      if (nw || nc) {
        x->c[e->call].copy_ns += cp;
        if (nw)
          x->c[e->call].wait_ns += w;
        else if (blocked(e, no_rseq))
          x->c[e->call].wait_ns += d > cp ? d - cp : 0;
      } else if (blocked(e, no_rseq)) {
        x->c[e->call].wait_ns += d;
      } else if (e->result > 0) {
        x->c[e->call].copy_ns += d;
      }
    } else if ((is_mux(e->call) || e->call == IOT_CALL_ACCEPT || e->call == IOT_CALL_ACCEPT4) &&
               blocked(e, no_rseq)) {
      x->c[e->call].wait_ns += d;
    }
  }
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t p = *(const uint64_t *)a, q = *(const uint64_t *)b;
  return p < q ? -1 : p > q;
}

/* Exact quantile num/den: the ceil(num/den * n)-th smallest value. */
static uint64_t exact_q(const struct exp_call *c, uint64_t num, uint64_t den) {
  uint64_t rank = (num * c->ndurs + den - 1) / den;
  if (c->ndurs == 0)
    return 0;
  if (rank < 1)
    rank = 1;
  return c->durs[rank - 1];
}

void gen_expect_write(struct gen_expect *x, FILE *f, const char *header_fields) {
  unsigned i;
  int first = 1;
  fprintf(f, "{%s,\"events\":%llu,\"torn_slots\":%llu,\"calls\":{", header_fields,
          (unsigned long long)x->events, (unsigned long long)x->torn);
  for (i = 1; i < IOT_CALL_COUNT; i++) {
    struct exp_call *c = &x->c[i];
    if (!c->count)
      continue;
    qsort(c->durs, c->ndurs, sizeof *c->durs, cmp_u64);
    fprintf(f,
            "%s\n \"%s\":{\"count\":%llu,\"blocked\":%llu,\"would_block\":%llu,\"errors\":%llu,"
            "\"time_ns\":%llu,\"mean_ns\":%llu,\"p50_ns\":%llu,\"p90_ns\":%llu,\"p99_ns\":%llu,"
            "\"p999_ns\":%llu,\"max_ns\":%llu,\"wait_ns\":%llu,"
            "\"copy_ns\":%llu,\"fds_scanned\":%llu,\"fds_watched\":%llu,\"fds_ready\":%llu,"
            "\"bytes_asked\":%llu,\"bytes_to_kernel\":%llu,\"bytes_to_user\":%llu,"
            "\"interest_max\":%llu,\"errnos\":{",
            first ? "" : ",", call_names[i], (unsigned long long)c->count,
            (unsigned long long)c->blocked, (unsigned long long)c->would_block,
            (unsigned long long)c->errors, (unsigned long long)c->time_ns,
            (unsigned long long)(c->time_ns / c->count), (unsigned long long)exact_q(c, 50, 100),
            (unsigned long long)exact_q(c, 90, 100), (unsigned long long)exact_q(c, 99, 100),
            (unsigned long long)exact_q(c, 999, 1000), (unsigned long long)c->durs[c->ndurs - 1],
            (unsigned long long)c->wait_ns,
            (unsigned long long)c->copy_ns, (unsigned long long)c->fds_scanned,
            (unsigned long long)c->fds_watched, (unsigned long long)c->fds_ready,
            (unsigned long long)c->bytes_asked, (unsigned long long)c->to_kernel,
            (unsigned long long)c->to_user, (unsigned long long)c->interest_max);
    {
      unsigned e;
      int firste = 1;
      for (e = 0; e < 134; e++)
        if (c->errnos[e]) {
          const char *n = e ? strerrorname_np((int)e) : NULL;
          fprintf(f, "%s\"%s\":%llu", firste ? "" : ",", n ? n : "other",
                  (unsigned long long)c->errnos[e]);
          firste = 0;
        }
    }
    fputs("}}", f);
    first = 0;
  }
  fprintf(f, "}}\n");
}
