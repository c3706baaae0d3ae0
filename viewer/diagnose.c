/* IO-model diagnosis: names how a process waits for its sockets from the counts stats.c gathered.
 */
#include <stdio.h>

#include "fmt.h"
#include "model.h"
#include "stats.h"

static uint64_t pct(uint64_t part, uint64_t whole) {
  if (whole == 0)
    return 0;
  return part >= whole ? 100 : part * 100 / whole;
}

static uint64_t calls(const struct iotv_stats *s, unsigned a, unsigned b, unsigned c) {
  return s->call[a].count + s->call[b].count + (c ? s->call[c].count : 0);
}

static void epoll_model(const struct iotv_stats *s, char *name, size_t nl, char *ev, size_t el) {
  const struct iotv_features *f = &s->f;
  uint64_t interest = 0, waits, ready = 0;
  char a[32], b[32], sets[32];
  unsigned i;
  for (i = IOT_CALL_EPOLL_WAIT; i <= IOT_CALL_EPOLL_PWAIT2; i++) {
    if (s->call[i].interest_max > interest)
      interest = s->call[i].interest_max;
    ready += s->call[i].fds_ready;
  }
  waits = calls(s, IOT_CALL_EPOLL_WAIT, IOT_CALL_EPOLL_PWAIT, IOT_CALL_EPOLL_PWAIT2);
  snprintf(sets, sizeof sets, "%u%s interest set%s", f->nepfds,
           f->nepfds >= sizeof f->epfds / sizeof f->epfds[0] ? "+" : "", f->nepfds == 1 ? "" : "s");
  if (interest)
    snprintf(a, sizeof a, "%s", iotv_fmt_count(b, interest));
  else
    snprintf(a, sizeof a, "?");
  /* The mode asked of epoll_ctl decides; traces without it fall back on the reads: an
   * edge-triggered server that reads until EAGAIN ends each ready fd with one EAGAIN. */
  if (f->ctl_et + f->ctl_lt > 0) {
    snprintf(name, nl, f->ctl_et * 2 >= f->ctl_et + f->ctl_lt ? "epoll edge-triggered"
                                                              : "epoll level-triggered");
    snprintf(ev, el,
             "%s of %s fds, %llu %% of registrations EPOLLET, %.1f ready per epoll_wait, %llu %% "
             "of ready fds drained to EAGAIN",
             sets, a, (unsigned long long)pct(f->ctl_et, f->ctl_et + f->ctl_lt),
             waits ? (double)ready / (double)waits : 0.0,
             (unsigned long long)pct(f->drained, f->epoll_ready));
  } else if (f->epoll_ready > 0 && f->drained * 2 >= f->epoll_ready) {
    snprintf(name, nl, "epoll edge-triggered");
    snprintf(ev, el, "%s of %s fds, %llu %% of ready fds drained to EAGAIN", sets, a,
             (unsigned long long)pct(f->drained, f->epoll_ready));
  } else {
    snprintf(name, nl, "epoll level-triggered");
    snprintf(ev, el,
             "%s of %s fds, %.1f ready per epoll_wait, %llu %% of ready fds drained to EAGAIN",
             sets, a, waits ? (double)ready / (double)waits : 0.0,
             (unsigned long long)pct(f->drained, f->epoll_ready));
  }
}

static void scan_model(const struct iotv_stats *s, const char *label, unsigned a, unsigned b,
                       char *name, size_t nl, char *ev, size_t el) {
  uint64_t n = s->call[a].count + s->call[b].count;
  uint64_t scanned = s->call[a].fds_scanned + s->call[b].fds_scanned;
  uint64_t ready = s->call[a].fds_ready + s->call[b].fds_ready;
  char x[32], y[32], z[32];
  snprintf(name, nl, "%s", label);
  snprintf(ev, el, "%s %s calls scanned %s fds for %s ready (%.1f scanned per ready fd)",
           iotv_fmt_count(x, n), label, iotv_fmt_count(y, scanned), iotv_fmt_count(z, ready),
           ready ? (double)scanned / (double)ready : 0.0);
}

void iotv_diagnose(const struct iotv_stats *s, char *name, size_t nl, char *ev, size_t el) {
  const struct iotv_features *f = &s->f;
  uint64_t sel = calls(s, IOT_CALL_SELECT, IOT_CALL_PSELECT, 0);
  uint64_t pol = calls(s, IOT_CALL_POLL, IOT_CALL_PPOLL, 0);
  uint64_t epo = calls(s, IOT_CALL_EPOLL_WAIT, IOT_CALL_EPOLL_PWAIT, IOT_CALL_EPOLL_PWAIT2);
  uint64_t mux = sel + pol + epo;
  char a[32], b[32];

  if (f->reads + f->accepts + mux == 0) {
    snprintf(name, nl, "unknown");
    snprintf(ev, el, "no reads, accepts or multiplexer calls among %s events",
             iotv_fmt_count(a, s->events));
    return;
  }
  /* A stray poll for a timeout does not make a server event-driven: the multiplexer must drive
   * the reads, so most of them must come after one on the same thread. */
  if (mux > 0 && (f->reads_after_mux * 2 >= f->reads || f->reads == 0)) {
    if (epo >= pol && epo >= sel)
      epoll_model(s, name, nl, ev, el);
    else if (pol >= sel)
      scan_model(s, "poll", IOT_CALL_POLL, IOT_CALL_PPOLL, name, nl, ev, el);
    else
      scan_model(s, "select", IOT_CALL_SELECT, IOT_CALL_PSELECT, name, nl, ev, el);
    return;
  }
  if (f->reads == 0) {
    snprintf(name, nl, "unknown");
    snprintf(ev, el, "only %s accept calls, no reads", iotv_fmt_count(a, f->accepts));
    return;
  }
  /* Busy polling: EAGAIN dominates, mostly back to back (nothing sleeps between attempts). */
  if (f->reads_eagain > 0 && (f->reads_eagain >= 4 * (f->reads_data ? f->reads_data : 1) ||
                              f->eagain_repeat * 2 >= f->reads_eagain)) {
    snprintf(name, nl, "non-blocking busy polling");
    snprintf(ev, el,
             "%s of %s reads returned EAGAIN (%.1f per read with data), %llu %% back to back, "
             "no multiplexer",
             iotv_fmt_count(a, f->reads_eagain), iotv_fmt_count(b, f->reads),
             (double)f->reads_eagain / (double)(f->reads_data ? f->reads_data : 1),
             (unsigned long long)pct(f->eagain_repeat, f->reads_eagain));
    return;
  }
  /* Drained to EAGAIN with no multiplexer and no loop: something else (SIGIO) says when to read. */
  if (f->reads_eagain * 10 >= f->reads) {
    snprintf(name, nl, "signal-driven");
    snprintf(ev, el, "%s of %s reads drained to EAGAIN, only %llu %% back to back, no multiplexer",
             iotv_fmt_count(a, f->reads_eagain), iotv_fmt_count(b, f->reads),
             (unsigned long long)pct(f->eagain_repeat, f->reads_eagain));
    return;
  }
  if (f->threads_reading >= 2) {
    snprintf(name, nl, "blocking, thread per connection");
    snprintf(ev, el, "%u threads read, %llu %% of %s reads blocked, no multiplexer",
             f->threads_reading, (unsigned long long)pct(f->reads_blocked, f->reads),
             iotv_fmt_count(a, f->reads));
    return;
  }
  snprintf(name, nl, "blocking, single-threaded");
  snprintf(ev, el, "1 thread reads, %llu %% of %s reads blocked, no multiplexer",
           (unsigned long long)pct(f->reads_blocked, f->reads), iotv_fmt_count(a, f->reads));
}
