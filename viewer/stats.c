/* Aggregation of one trace into per-call statistics, phase accounting and IO-model evidence. */
#include "stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maps.h"
#include "model.h"

/* Phases the shim may record before the read that encloses them; more than this is not nesting. */
#define MAX_PENDING_PHASES 8

struct pending_read {
  int active;
  struct iot_event e;
  uint32_t site;
  uint64_t end;
  int blocked;
  int waits;                 /* nested wait phases seen */
  int copies;                /* nested copy phases seen */
  uint64_t wait_ns, copy_ns; /* their durations */
};

struct pending_phase {
  struct iot_event e;
  uint32_t site;
};

/* Per-thread state while walking its events; reset for every thread. */
struct walk {
  struct pending_read rd;
  struct pending_phase ph[MAX_PENDING_PHASES];
  unsigned nph;
  unsigned last_mux;    /* the thread's latest multiplexer call, 0 before the first */
  int last_read_eagain; /* its latest read returned EAGAIN */
  int did_read, did_accept, did_mux;
  uint64_t reads, reads_blocked, reads_eagain; /* this thread's, sorted out when it ends */
};

/* A select or poll that watched no fd (nfds 0, or every fd negative) only sleeps. */
static int is_sleep(const struct iot_event *e) {
  return iotv_call_is_scan(e->call) && (e->arg == 0 || e->aux == 0);
}

static uint64_t end_of(const struct iot_event *e) {
  return e->start_ns + iot_event_dur_ns(e);
}

static void add_site(struct iotv_stats *s, unsigned call, uint32_t site, int count, int blocked,
                     int eagain, int err, uint64_t time, uint64_t wait, uint64_t copy) {
  struct iotv_sitestat *st;
  if (!s->sites || site == 0)
    return;
  st = iotv_map_upsert(s->sites, (uint64_t)site << 8 | call);
  if (!st)
    return;
  st->site = site;
  st->call = call;
  st->count += count;
  st->blocked += blocked;
  st->would_block += eagain;
  st->errors += err;
  st->time_ns += time;
  st->wait_ns += wait;
  st->copy_ns += copy;
}

/* Credits wait and copy time to a row: the caller decides which row owns the time. */
static void credit(struct iotv_stats *s, unsigned call, uint32_t site, uint64_t wait,
                   uint64_t copy) {
  s->call[call].wait_ns += wait;
  s->call[call].copy_ns += copy;
  add_site(s, call, site, 0, 0, 0, 0, 0, wait, copy);
}

/* A phase with no enclosing read keeps its time on its own row, so no time is lost. */
static void orphan_phase(struct iotv_stats *s, const struct pending_phase *p) {
  uint64_t d = iot_event_dur_ns(&p->e);
  if (p->e.call == IOT_CALL_PHASE_WAIT)
    credit(s, p->e.call, p->site, d, 0);
  else
    credit(s, p->e.call, p->site, 0, d);
}

static void flush_phases(struct iotv_stats *s, struct walk *w) {
  unsigned i;
  for (i = 0; i < w->nph; i++)
    orphan_phase(s, &w->ph[i]);
  w->nph = 0;
}

/* A read's wait and copy are known once no more of its phases can follow. */
static void flush_read(struct iotv_stats *s, struct walk *w) {
  struct pending_read *r = &w->rd;
  uint64_t dur, wait = 0, copy = 0;
  if (!r->active)
    return;
  dur = iot_event_dur_ns(&r->e);
  if (r->waits || r->copies) {
    copy = r->copy_ns;
    if (r->waits)
      wait = r->wait_ns;
    else if (r->blocked)
      wait = dur > r->copy_ns ? dur - r->copy_ns : 0;
  } else if (r->blocked) {
    wait = dur;
  } else if (r->e.result > 0) {
    copy = dur;
  }
  credit(s, r->e.call, r->site, wait, copy);
  r->active = 0;
}

/* Whether phase p nests in the pending read (same fd, inside its time, allowing its unit's
 * rounding). */
static int encloses(const struct pending_read *r, const struct iot_event *p) {
  static const uint64_t unit_ns[4] = {1, 1000, 1000000, 1};
  uint64_t slack = unit_ns[(r->e.flags & IOT_EF_DUR_MASK) >> IOT_EF_DUR_SHIFT];
  return r->active && r->e.fd == p->fd && p->start_ns >= r->e.start_ns &&
         end_of(p) <= r->end + slack;
}

static void absorb(struct pending_read *r, const struct iot_event *p) {
  if (p->call == IOT_CALL_PHASE_WAIT) {
    r->waits++;
    r->wait_ns += iot_event_dur_ns(p);
  } else {
    r->copies++;
    r->copy_ns += iot_event_dur_ns(p);
  }
}

static void phase_event(struct iotv_stats *s, struct walk *w, const struct iot_event *e,
                        uint32_t site) {
  if (encloses(&w->rd, e)) {
    absorb(&w->rd, e);
    return;
  }
  if (w->nph == MAX_PENDING_PHASES) {
    orphan_phase(s, &w->ph[0]);
    memmove(&w->ph[0], &w->ph[1], (MAX_PENDING_PHASES - 1) * sizeof w->ph[0]);
    w->nph--;
  }
  w->ph[w->nph].e = *e;
  w->ph[w->nph].site = site;
  w->nph++;
}

/* A new read: the shim may have recorded its phases before it, so pick those up. */
static void read_event(struct iotv_stats *s, struct walk *w, const struct iot_event *e,
                       uint32_t site, int blocked) {
  unsigned i;
  flush_read(s, w);
  w->rd.active = 1;
  w->rd.e = *e;
  w->rd.site = site;
  w->rd.end = end_of(e);
  w->rd.blocked = blocked;
  w->rd.waits = w->rd.copies = 0;
  w->rd.wait_ns = w->rd.copy_ns = 0;
  for (i = 0; i < w->nph; i++) {
    if (encloses(&w->rd, &w->ph[i].e))
      absorb(&w->rd, &w->ph[i].e);
    else
      orphan_phase(s, &w->ph[i]);
  }
  w->nph = 0;
}

static void note_epfd(struct iotv_features *f, uint32_t fd) {
  uint32_t i;
  for (i = 0; i < f->nepfds; i++)
    if (f->epfds[i] == fd)
      return;
  if (f->nepfds < sizeof f->epfds / sizeof f->epfds[0])
    f->epfds[f->nepfds++] = fd;
}

static void features(struct iotv_features *f, struct walk *w, const struct iot_event *e,
                     int blocked) {
  int eagain = (e->flags & IOT_EF_WOULDBLOCK) != 0;
  if (e->call == IOT_CALL_EPOLL_CTL && e->result == 0 && (e->arg == 1 || e->arg == 3)) {
    if (e->flags & IOT_EF_EP_ET) /* ADD (1) or MOD (3) */
      f->ctl_et++;
    else
      f->ctl_lt++;
  }
  if (iotv_call_is_read(e->call)) {
    w->did_read = 1;
    w->reads++;
    w->reads_blocked += blocked != 0;
    w->reads_eagain += eagain;
    f->reads++;
    if (w->last_mux)
      f->reads_after_mux++;
    if (e->result > 0 && e->call != IOT_CALL_RECVMMSG) {
      f->bytes_read += (uint64_t)e->result;
      if (w->last_mux)
        f->bytes_after_mux += (uint64_t)e->result;
    }
    if (e->result > 0)
      f->reads_data++;
    if (blocked)
      f->reads_blocked++;
    if (eagain) {
      f->reads_eagain++;
      if (w->last_read_eagain)
        f->eagain_repeat++;
      if (w->last_mux)
        f->eagain_after_mux++;
      if (iotv_call_is_epoll_wait(w->last_mux))
        f->drained++;
    }
    w->last_read_eagain = eagain;
  } else if (iotv_call_is_accept(e->call)) {
    w->did_accept = 1;
    f->accepts++;
    if (w->last_mux)
      f->accepts_after_mux++;
    if (eagain) {
      f->accepts_eagain++;
      if (iotv_call_is_epoll_wait(w->last_mux))
        f->drained++;
    }
  } else if (is_sleep(e)) {
    if (e->call == IOT_CALL_SELECT || e->call == IOT_CALL_PSELECT)
      f->select_sleeps++;
    else
      f->poll_sleeps++;
  } else if (iotv_call_is_mux(e->call)) {
    w->did_mux = 1;
    w->last_mux = e->call;
    w->last_read_eagain = 0;
    if (iotv_call_is_epoll_wait(e->call)) {
      if (e->result > 0)
        f->epoll_ready += (uint64_t)e->result;
      note_epfd(f, (uint32_t)e->fd);
    }
  }
}

static void event(struct iotv_stats *s, struct iotv_trace *t, struct walk *w,
                  const struct iot_event *e, uint32_t site) {
  struct iotv_callstat *cs = &s->call[e->call];
  uint64_t dur = iot_event_dur_ns(e), to_k, to_u;
  int inferred = 0, blocked = iotv_event_blocked(e, &inferred);
  int eagain = (e->flags & IOT_EF_WOULDBLOCK) != 0, err = e->result < 0;
  s->events++;
  s->inferred |= inferred;
  if (end_of(e) > s->last_ns)
    s->last_ns = end_of(e);
  cs->count++;
  cs->blocked += blocked;
  cs->would_block += eagain;
  cs->errors += err;
  if (err)
    cs->errnos[e->err < IOTV_ERRNOS ? e->err : 0]++;
  cs->time_ns += dur;
  iotv_hist_add(&cs->hist, dur);
  iot_event_bytes(e, &t->hdr, &to_k, &to_u);
  cs->bytes_to_kernel += to_k;
  cs->bytes_to_user += to_u;
  if (iotv_call_is_scan(e->call)) {
    cs->fds_scanned += e->arg;
    if (e->aux != IOT_UNKNOWN) /* a set the kernel could not read either (EFAULT) */
      cs->fds_watched += e->aux;
  }
  if (iotv_call_is_mux(e->call) && e->result > 0)
    cs->fds_ready += (uint64_t)e->result;
  if (iotv_call_is_epoll_wait(e->call) && e->aux != IOT_UNKNOWN && e->aux > cs->interest_max)
    cs->interest_max = e->aux;
  if (iotv_call_asks_bytes(e->call))
    cs->bytes_asked += e->arg;
  add_site(s, e->call, site, 1, blocked, eagain, err, dur, 0, 0);
  features(&s->f, w, e, blocked);

  if (iotv_call_is_phase(e->call)) {
    phase_event(s, w, e, site);
    return;
  }
  if (iotv_call_is_read(e->call)) {
    read_event(s, w, e, site, blocked);
    return;
  }
  /* Phases only nest inside reads: any other call ends the window in which they can appear. */
  flush_read(s, w);
  flush_phases(s, w);
  if ((iotv_call_is_mux(e->call) || iotv_call_is_accept(e->call)) && blocked)
    credit(s, e->call, site, dur, 0);
}

struct iotv_stats *iotv_stats_collect(struct iotv_trace *t, int by_site) {
  struct iotv_stats *s = calloc(1, sizeof *s);
  size_t i;
  if (!s)
    return NULL;
  if (by_site) {
    iotv_trace_load_sites(t);
    s->sites = iotv_map_new(sizeof(struct iotv_sitestat));
  }
  for (i = 0; i < t->nthreads; i++) {
    struct iotv_cursor c;
    struct walk w;
    const struct iot_event *e;
    uint32_t site;
    memset(&w, 0, sizeof w);
    iotv_cursor_init(&c, t, i);
    while ((e = iotv_cursor_next(&c, &site)) != NULL)
      event(s, t, &w, e, site);
    flush_read(s, &w);
    flush_phases(s, &w);
    s->torn += c.torn;
    s->f.threads_reading += w.did_read;
    s->f.threads_accepting += w.did_accept;
    s->f.threads_mux += w.did_mux;
    if (w.did_read && !w.did_mux) {
      s->f.threads_reading_plain++;
      s->f.reads_plain += w.reads;
      s->f.reads_plain_blocked += w.reads_blocked;
      s->f.reads_plain_eagain += w.reads_eagain;
    }
  }
  return s;
}

const char *iotv_errno_name(unsigned bucket, char *buf, size_t len) {
  const char *n = bucket ? strerrorname_np((int)bucket) : "other";
  if (n)
    return n;
  snprintf(buf, len, "E%u", bucket);
  return buf;
}

void iotv_callstat_merge(struct iotv_callstat *into, const struct iotv_callstat *from) {
  unsigned i;
  into->count += from->count;
  into->blocked += from->blocked;
  into->would_block += from->would_block;
  into->errors += from->errors;
  into->time_ns += from->time_ns;
  into->wait_ns += from->wait_ns;
  into->copy_ns += from->copy_ns;
  into->fds_scanned += from->fds_scanned;
  into->fds_watched += from->fds_watched;
  into->fds_ready += from->fds_ready;
  into->bytes_asked += from->bytes_asked;
  into->bytes_to_kernel += from->bytes_to_kernel;
  into->bytes_to_user += from->bytes_to_user;
  if (from->interest_max > into->interest_max)
    into->interest_max = from->interest_max;
  for (i = 0; i < IOTV_ERRNOS; i++)
    into->errnos[i] += from->errnos[i];
  iotv_hist_merge(&into->hist, &from->hist);
}

void iotv_stats_free(struct iotv_stats *s) {
  if (!s)
    return;
  iotv_map_free(s->sites);
  free(s);
}

uint64_t iotv_stats_duration(const struct iotv_stats *s, const struct iotv_trace *t) {
  uint64_t d = iotv_trace_duration_hint(t);
  return d ? d : s->last_ns;
}
