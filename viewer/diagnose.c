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

/* The multiplexer a process waits in most, by calls that watched something. */
static void mux_model(const struct iotv_stats *s, uint64_t sel, uint64_t pol, uint64_t epo,
                      char *name, size_t nl, char *ev, size_t el) {
  if (epo >= pol && epo >= sel)
    epoll_model(s, name, nl, ev, el);
  else if (pol >= sel)
    scan_model(s, "poll", IOT_CALL_POLL, IOT_CALL_PPOLL, name, nl, ev, el);
  else
    scan_model(s, "select", IOT_CALL_SELECT, IOT_CALL_PSELECT, name, nl, ev, el);
}

static const char *mux_name(uint64_t sel, uint64_t pol, uint64_t epo) {
  return epo >= pol && epo >= sel ? "epoll_wait" : pol >= sel ? "poll" : "select";
}

/*
 * Whether the multiplexer drives the process's IO: most of what it reads, by count or by bytes,
 * or most of its accepts, come after a multiplexer call on the same thread.  Weighing bytes and
 * accepts keeps a few one-byte banner reads before a poll loop, or one read before a poll and
 * accept loop, from outvoting the loop.
 */
static int mux_drives(const struct iotv_features *f) {
  uint64_t units = f->reads + f->accepts, after = f->reads_after_mux + f->accepts_after_mux;
  if (f->reads == 0 && f->accepts == 0)
    return 1;
  return after * 2 >= units || (f->bytes_read > 0 && f->bytes_after_mux * 2 >= f->bytes_read);
}

void iotv_diagnose(const struct iotv_stats *s, char *name, size_t nl, char *ev, size_t el) {
  const struct iotv_features *f = &s->f;
  /* A select or poll that watched no fd is a sleep, not a multiplexer. */
  uint64_t sel = calls(s, IOT_CALL_SELECT, IOT_CALL_PSELECT, 0) - f->select_sleeps;
  uint64_t pol = calls(s, IOT_CALL_POLL, IOT_CALL_PPOLL, 0) - f->poll_sleeps;
  uint64_t epo = calls(s, IOT_CALL_EPOLL_WAIT, IOT_CALL_EPOLL_PWAIT, IOT_CALL_EPOLL_PWAIT2);
  uint64_t mux = sel + pol + epo, sleeps = f->select_sleeps + f->poll_sleeps;
  char a[32], b[32], c[32];

  if (f->reads + f->accepts + mux == 0) {
    snprintf(name, nl, "unknown");
    if (sleeps)
      snprintf(ev, el, "no reads or accepts; %s select/poll calls watched no fd (sleeps)",
               iotv_fmt_count(a, sleeps));
    else
      snprintf(ev, el, "no reads, accepts or multiplexer calls among %s events",
               iotv_fmt_count(a, s->events));
    return;
  }
  /* Reads on threads that never wait in the multiplexer, while another thread does: a loop that
   * hands ready connections to workers, or an acceptor in front of blocking reader threads. */
  if (mux > 0 && f->threads_reading_plain > 0 && f->reads_plain * 2 > f->reads) {
    if (f->reads_plain_blocked * 2 < f->reads_plain) {
      snprintf(name, nl, "%s listener + worker pool",
               epo >= pol && epo >= sel ? "epoll" : pol >= sel ? "poll" : "select");
      snprintf(ev, el,
               "%u thread%s wait%s in %s; %u worker thread%s read %s of %s reads, %llu %% to "
               "EAGAIN, %llu %% blocked",
               f->threads_mux, f->threads_mux == 1 ? "" : "s", f->threads_mux == 1 ? "s" : "",
               mux_name(sel, pol, epo), f->threads_reading_plain,
               f->threads_reading_plain == 1 ? "" : "s", iotv_fmt_count(a, f->reads_plain),
               iotv_fmt_count(b, f->reads),
               (unsigned long long)pct(f->reads_plain_eagain, f->reads_plain),
               (unsigned long long)pct(f->reads_plain_blocked, f->reads_plain));
    } else {
      snprintf(name, nl, "blocking, thread per connection");
      snprintf(ev, el,
               "%u threads read, %llu %% of %s reads blocked; the acceptor waits in %s (%s "
               "calls)",
               f->threads_reading_plain,
               (unsigned long long)pct(f->reads_plain_blocked, f->reads_plain),
               iotv_fmt_count(a, f->reads_plain), mux_name(sel, pol, epo),
               iotv_fmt_count(c, mux));
    }
    return;
  }
  if (mux > 0 && mux_drives(f)) {
    mux_model(s, sel, pol, epo, name, nl, ev, el);
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
    snprintf(ev, el, "%u threads read, %llu %% of %s reads blocked", f->threads_reading,
             (unsigned long long)pct(f->reads_blocked, f->reads), iotv_fmt_count(a, f->reads));
    return;
  }
  snprintf(name, nl, "blocking, single-threaded");
  snprintf(ev, el, "1 thread reads, %llu %% of %s reads blocked",
           (unsigned long long)pct(f->reads_blocked, f->reads), iotv_fmt_count(a, f->reads));
}
