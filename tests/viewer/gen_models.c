/* The IO models the generator can imitate: each step emits one group of events a server would make.
 */
#include <string.h>

#include "gen_trace.h"

static uint64_t rnd(struct gen_thread *th, uint64_t lo, uint64_t hi) {
  /* xorshift64*: deterministic for a seed, so golden files stay valid. */
  th->rng ^= th->rng >> 12;
  th->rng ^= th->rng << 25;
  th->rng ^= th->rng >> 27;
  return lo + (th->rng * 0x2545f4914f6cdd1dull) % (hi - lo + 1);
}

static unsigned site_for(unsigned call) {
  if (!gen_opt.stacks)
    return 0;
  if (call >= IOT_CALL_RECV && call <= IOT_CALL_READV)
    return 1;
  if (call == IOT_CALL_ACCEPT || call == IOT_CALL_ACCEPT4)
    return 3;
  if (call == IOT_CALL_PHASE_WAIT || call == IOT_CALL_PHASE_COPY)
    return 4;
  return 2;
}

/* Appends one event at the thread's clock; durations of 100 us and more may use the us unit. */
static struct gen_event *add_at(struct gen_thread *th, uint64_t start, unsigned call, uint64_t dur,
                                int32_t fd, int32_t result, uint32_t arg, uint32_t aux,
                                unsigned flags, uint16_t err) {
  struct gen_event *g = &th->q[th->qn++];
  memset(g, 0, sizeof *g);
  g->parent = -1;
  g->e.start_ns = start;
  g->e.call = (uint8_t)call;
  g->e.fd = fd;
  g->e.result = result;
  g->e.arg = arg;
  g->e.aux = aux;
  g->e.err = err;
  if (gen_opt.no_rseq) {
    flags &= ~IOT_EF_BLOCKED;
    flags |= IOT_EF_BLOCK_UNKNOWN;
  }
  if (gen_opt.units && dur >= 100000) {
    g->e.dur = (uint32_t)(dur / 1000);
    flags |= IOT_DUR_US << IOT_EF_DUR_SHIFT;
  } else {
    g->e.dur = (uint32_t)dur;
  }
  g->e.flags = (uint8_t)flags;
  g->site = site_for(call);
  return g;
}

static void add(struct gen_thread *th, unsigned call, uint64_t dur, int32_t fd, int32_t result,
                uint32_t arg, uint32_t aux, unsigned flags, uint16_t err) {
  struct gen_event *g = add_at(th, th->clock, call, dur, fd, result, arg, aux, flags, err);
  th->clock += iot_event_dur_ns(&g->e) + rnd(th, 200, 1000);
}

static void read_data(struct gen_thread *th, unsigned call, int32_t fd) {
  uint32_t asked = 16384;
  add(th, call, rnd(th, 1000, 6000), fd, (int32_t)rnd(th, 100, asked), asked, 0, 0, 0);
}

static void read_eagain(struct gen_thread *th, unsigned call, int32_t fd) {
  add(th, call, rnd(th, 300, 900), fd, -1, 16384, 0, IOT_EF_WOULDBLOCK, 11);
}

/* A read that blocked; in split mode the shim nests a wait and a copy phase inside it. */
static void read_blocked(struct gen_thread *th, unsigned call, int32_t fd, int32_t result) {
  uint64_t w = rnd(th, 60000, 400000), c = rnd(th, 1000, 8000), start = th->clock;
  uint64_t dur = w + c + 300;
  int base = th->qn;
  if (!gen_opt.split) {
    add(th, call, dur, fd, result, 16384, 0, IOT_EF_BLOCKED, 0);
    return;
  }
  /* The phase order in the chunk is the writer's choice: the viewer must accept both. */
  if (!gen_opt.phases_first)
    add_at(th, start, call, dur, fd, result, 16384, 0, IOT_EF_BLOCKED, 0);
  add_at(th, start + 100, IOT_CALL_PHASE_WAIT, w, fd, 0, 0, 0, IOT_EF_BLOCKED, 0);
  add_at(th, start + 150 + w, IOT_CALL_PHASE_COPY, c, fd, result, 16384, 0, 0, 0);
  if (gen_opt.phases_first)
    add_at(th, start, call, dur, fd, result, 16384, 0, IOT_EF_BLOCKED, 0);
  {
    int parent = gen_opt.phases_first ? base + 2 : base;
    int i;
    for (i = base; i < base + 3; i++)
      if (i != parent)
        th->q[i].parent = parent;
    /* Re-read the parent's duration: the us unit may have rounded it down. */
    th->clock = start + iot_event_dur_ns(&th->q[parent].e) + rnd(th, 200, 1000);
  }
}

static uint64_t mux_dur(struct gen_thread *th, unsigned *flags) {
  if (rnd(th, 0, 1)) {
    *flags |= IOT_EF_BLOCKED;
    return rnd(th, 60000, 300000);
  }
  return rnd(th, 500, 3000);
}

static void step_epoll(struct gen_thread *th, int edge) {
  unsigned flags = 0, i, n = (unsigned)rnd(th, 1, 4);
  uint64_t d = mux_dur(th, &flags);
  add(th, IOT_CALL_EPOLL_WAIT, d, 3, (int32_t)n, 64, edge ? 1001 : 51, flags, 0);
  for (i = 0; i < n; i++) {
    int32_t fd = (int32_t)(10 + i + 4 * rnd(th, 0, 240)); /* distinct within one wakeup */
    unsigned k, reads = edge ? (unsigned)rnd(th, 1, 2) : 1;
    for (k = 0; k < reads; k++)
      read_data(th, IOT_CALL_RECV, fd);
    if (edge)
      read_eagain(th, IOT_CALL_RECV, fd);
  }
}

static void step_epoll_et(struct gen_thread *th) {
  step_epoll(th, 1);
}

static void step_epoll_lt(struct gen_thread *th) {
  step_epoll(th, 0);
}

static void step_scan(struct gen_thread *th, unsigned call) {
  unsigned flags = call == IOT_CALL_SELECT ? IOT_EF_SEL_READ : 0, i, n = (unsigned)rnd(th, 1, 3);
  uint64_t d = mux_dur(th, &flags);
  add(th, call, d, -1, (int32_t)n, call == IOT_CALL_SELECT ? 64 : 30, 20, flags, 0);
  for (i = 0; i < n; i++)
    read_data(th, call == IOT_CALL_SELECT ? IOT_CALL_READ : IOT_CALL_RECV,
              (int32_t)rnd(th, 10, 40));
}

static void step_select(struct gen_thread *th) {
  step_scan(th, IOT_CALL_SELECT);
}

static void step_poll(struct gen_thread *th) {
  step_scan(th, IOT_CALL_POLL);
}

/* Thread per connection: the first thread accepts, the others block in recv. */
static void step_tpc(struct gen_thread *th) {
  if (th->index == 0) {
    add(th, IOT_CALL_ACCEPT4, rnd(th, 80000, 900000), 3, (int32_t)rnd(th, 5, 900), 0, 0,
        IOT_EF_BLOCKED, 0);
    return;
  }
  read_blocked(th, IOT_CALL_RECV, (int32_t)(4 + th->index), th->step++ % 8 == 7 ? 0 : 512);
}

/* A listener thread waits in epoll_wait and accepts; workers read their connections to EAGAIN. */
static void step_pool(struct gen_thread *th) {
  if (th->index == 0) {
    unsigned flags = 0;
    uint64_t d = mux_dur(th, &flags);
    add(th, IOT_CALL_EPOLL_WAIT, d, 3, 1, 64, 40, flags, 0);
    add(th, IOT_CALL_ACCEPT4, rnd(th, 800, 3000), 4, (int32_t)rnd(th, 10, 900), 0, 0, 0, 0);
    return;
  }
  read_data(th, IOT_CALL_RECV, (int32_t)(20 + th->index));
  read_eagain(th, IOT_CALL_RECV, (int32_t)(20 + th->index));
  th->clock += rnd(th, 20000, 90000); /* waiting for the listener to hand it work */
}

/* Thread per connection whose acceptor waits in poll (a timeout to check for shutdown). */
static void step_tpc_poll(struct gen_thread *th) {
  if (th->index == 0) {
    add(th, IOT_CALL_POLL, rnd(th, 80000, 900000), -1, 1, 1, 1, IOT_EF_BLOCKED, 0);
    add(th, IOT_CALL_ACCEPT4, rnd(th, 800, 3000), 3, (int32_t)rnd(th, 5, 900), 0, 0, 0, 0);
    return;
  }
  read_blocked(th, IOT_CALL_RECV, (int32_t)(4 + th->index), th->step++ % 8 == 7 ? 0 : 512);
}

/* A control process: select with no fds as its sleep, nothing else. */
static void step_sleeper(struct gen_thread *th) {
  add(th, IOT_CALL_SELECT, rnd(th, 900000, 1100000), -1, 0, 0, 0, IOT_EF_BLOCKED, 0);
}

/* A protocol client: a banner read a byte at a time, then a poll loop reading replies. */
static void step_banner(struct gen_thread *th) {
  if (th->step++ == 0) {
    unsigned i;
    for (i = 0; i < 60 && th->qn < GEN_MAX_GROUP - 1; i++)
      add(th, IOT_CALL_READ, rnd(th, 400, 900), 3, 1, 1, 0, 0, 0);
    return;
  }
  add(th, IOT_CALL_POLL, rnd(th, 60000, 300000), -1, 1, 1, 1, IOT_EF_BLOCKED, 0);
  add(th, IOT_CALL_READ, rnd(th, 2000, 6000), 3, 4096, 4096, 0, 0, 0);
}

/* A mail daemon: one read of its configuration pipe, then a poll and accept loop. */
static void step_mail(struct gen_thread *th) {
  if (th->step++ == 0) {
    add(th, IOT_CALL_READ, rnd(th, 400, 900), 5, 300, 4096, 0, 0, 0);
    return;
  }
  add(th, IOT_CALL_POLL, rnd(th, 60000, 300000), -1, 1, 2, 2, IOT_EF_BLOCKED, 0);
  add(th, IOT_CALL_ACCEPT, rnd(th, 800, 3000), 3, (int32_t)rnd(th, 5, 900), 0, 0, 0, 0);
}

static void step_single(struct gen_thread *th) {
  int32_t fd = (int32_t)rnd(th, 5, 50);
  add(th, IOT_CALL_ACCEPT, rnd(th, 80000, 900000), 3, fd, 0, 0, IOT_EF_BLOCKED, 0);
  read_blocked(th, IOT_CALL_READ, fd, 700);
  read_blocked(th, IOT_CALL_READ, fd, 0);
}

static void step_busy(struct gen_thread *th) {
  unsigned i, n = (unsigned)rnd(th, 5, 20);
  for (i = 0; i < n && th->qn < GEN_MAX_GROUP - 1; i++)
    read_eagain(th, IOT_CALL_RECV, (int32_t)(5 + i % 4));
  read_data(th, IOT_CALL_RECV, 5);
}

static void step_signal(struct gen_thread *th) {
  read_data(th, IOT_CALL_RECV, 7);
  read_data(th, IOT_CALL_RECV, 7);
  read_eagain(th, IOT_CALL_RECV, 7);
  th->clock += rnd(th, 500000, 2000000); /* asleep until the next SIGIO */
}

/* Every call id in turn, with errors, unknown interest sets and empty reads mixed in. */
static void step_mixed(struct gen_thread *th) {
  unsigned flags = 0;
  switch (th->step++ % 12) {
  case 0:
    add(th, IOT_CALL_EPOLL_CREATE1, 2000, -1, 4, 0x80000, 0, 0, 0);
    add(th, IOT_CALL_EPOLL_CTL, 1500, 4, 0, 1, 9, 0, 0);
    add(th, IOT_CALL_EPOLL_CTL, 1500, 4, -1, 2, 9, 0, 2);
    add(th, IOT_CALL_EPOLL_CREATE, 1800, -1, 5, 16, 0, 0, 0);
    break;
  case 1:
    add(th, IOT_CALL_PSELECT, mux_dur(th, &flags), -1, 2, 130, 7,
        flags | IOT_EF_SEL_READ | IOT_EF_SEL_WRITE, 0);
    add(th, IOT_CALL_SELECT, 900, -1, -1, 20, 3, IOT_EF_SEL_READ, 4);
    break;
  case 2:
    add(th, IOT_CALL_PPOLL, mux_dur(th, &flags), -1, 1, 12, 11, flags, 0);
    add(th, IOT_CALL_POLL, 700, -1, 0, 5, 5, 0, 0);
    break;
  case 3:
    add(th, IOT_CALL_EPOLL_PWAIT, mux_dur(th, &flags), 4, 3, 32, 77, flags, 0);
    add(th, IOT_CALL_EPOLL_PWAIT2, 2500, 4, 1, 32, IOT_UNKNOWN, 0, 0);
    break;
  case 4:
    read_data(th, IOT_CALL_RECVFROM, 9);
    add(th, IOT_CALL_RECVMSG, 3000, 9, 1200, 4096, 3, 0, 0);
    break;
  case 5:
    add(th, IOT_CALL_RECVMMSG, 5000, 9, 4, 8, 5000, 0, 0);
    add(th, IOT_CALL_READV, 2500, 9, 800, 2048, 2, 0, 0);
    break;
  case 6:
    add(th, IOT_CALL_RECV, 1200, 9, -1, 100, 0, 0, 104); /* ECONNRESET */
    add(th, IOT_CALL_READ, 900, 9, 0, 100, 0, 0, 0);
    break;
  case 7:
    read_blocked(th, IOT_CALL_RECV, 9, 333);
    break;
  case 8:
    add(th, IOT_CALL_ACCEPT4, 1000, 3, -1, 0, 0, IOT_EF_WOULDBLOCK, 11);
    add(th, IOT_CALL_ACCEPT, rnd(th, 60000, 90000), 3, 12, 0, 0, IOT_EF_BLOCKED, 0);
    break;
  case 9:
    add(th, IOT_CALL_EPOLL_WAIT, mux_dur(th, &flags), 4, 2, 64, 40, flags, 0);
    read_data(th, IOT_CALL_RECV, 12);
    read_eagain(th, IOT_CALL_RECV, 12);
    break;
  case 10:
    add(th, IOT_CALL_RECV, 1800, 9, 0x7fffffff, 0xffffffffu, 0, IOT_EF_SATURATED, 0);
    break;
  default:
    add(th, IOT_CALL_READ, 400, 9, -1, 64, 0, 0, 9); /* EBADF */
    break;
  }
}

static const struct gen_model models[] = {
    {"epoll-et", step_epoll_et, "epoll edge-triggered"},
    {"epoll-lt", step_epoll_lt, "epoll level-triggered"},
    {"select", step_select, "select"},
    {"poll", step_poll, "poll"},
    {"tpc", step_tpc, "blocking, thread per connection"},
    {"single", step_single, "blocking, single-threaded"},
    {"busy", step_busy, "non-blocking busy polling"},
    {"signal", step_signal, "signal-driven"},
    {"pool", step_pool, "epoll listener + worker pool"},
    {"tpc-poll", step_tpc_poll, "blocking, thread per connection"},
    {"sleeper", step_sleeper, "unknown"},
    {"banner", step_banner, "poll"},
    {"mail", step_mail, "poll"},
    {"mixed", step_mixed, ""},
};

const struct gen_model *gen_model_find(const char *name) {
  size_t i;
  for (i = 0; i < sizeof models / sizeof models[0]; i++)
    if (strcmp(models[i].name, name) == 0)
      return &models[i];
  return NULL;
}

void gen_models_list(FILE *f) {
  size_t i;
  for (i = 0; i < sizeof models / sizeof models[0]; i++)
    fprintf(f, " %s", models[i].name);
  fputc('\n', f);
}
