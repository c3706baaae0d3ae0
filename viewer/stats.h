/* Aggregation of one trace into per-call statistics, phase accounting and IO-model evidence. */
#ifndef IOTV_STATS_H
#define IOTV_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "hist.h"
#include "reader.h"

#define IOTV_ERRNOS 134 /* errno values Linux defines, 1..133 */
/* The name of an errno bucket of iotv_callstat.errnos: "EAGAIN", "other" for bucket 0 (values
 * past the table), "E41" for a number without a name; buf holds what has to be made up. */
const char *iotv_errno_name(unsigned bucket, char *buf, size_t len);
/* The buckets in the order they are shown: by number, "other" last (k = 0 .. IOTV_ERRNOS-1). */
static inline unsigned iotv_errno_shown(unsigned k) {
  return (k + 1) % IOTV_ERRNOS;
}

struct iotv_callstat {
  uint64_t count, blocked, would_block, errors;
  uint64_t time_ns, wait_ns, copy_ns;
  uint64_t fds_scanned, fds_watched, fds_ready;
  uint64_t bytes_asked, bytes_to_kernel, bytes_to_user;
  uint64_t interest_max;
  uint64_t errnos[IOTV_ERRNOS]; /* failures by errno; [0] holds errno values past the table */
  struct iotv_hist hist;
};

/* One call made from one call site (summary --by-site). */
struct iotv_sitestat {
  uint32_t site;
  uint32_t call;
  uint64_t count, blocked, would_block, errors, time_ns, wait_ns, copy_ns;
};

/* Counts the IO-model diagnosis weighs; every one of them is a plain counter. */
struct iotv_features {
  uint64_t reads, reads_data, reads_eagain, reads_blocked;
  uint64_t eagain_repeat;    /* EAGAIN reads right after another EAGAIN read, no mux between */
  uint64_t eagain_after_mux; /* EAGAIN reads on a thread that had called a multiplexer */
  uint64_t reads_after_mux;  /* reads on a thread that had called a multiplexer before */
  uint64_t accepts, accepts_eagain;
  uint64_t epoll_ready; /* fds reported ready by the epoll_wait family */
  uint64_t drained;     /* EAGAIN reads/accepts after an epoll_wait on the same thread */
  uint64_t accepts_after_mux;            /* accepts on a thread that had called a multiplexer */
  uint64_t bytes_read, bytes_after_mux;  /* bytes the reads returned, and those after a mux */
  uint64_t select_sleeps, poll_sleeps;   /* select/poll watching no fd: a sleep, not a wait */
  uint64_t reads_plain, reads_plain_blocked, reads_plain_eagain; /* reads on threads with no mux */
  uint32_t threads_reading, threads_accepting, threads_mux;
  uint32_t threads_reading_plain; /* threads that read and never called a multiplexer */
  uint64_t ctl_et, ctl_lt; /* epoll_ctl ADD/MOD that asked for EPOLLET, and that did not */
  uint32_t epfds[16]; /* distinct epoll fds waited on (the first 16) */
  uint32_t nepfds;
};

struct iotv_stats {
  struct iotv_callstat call[IOT_CALL_COUNT];
  uint64_t events, torn;
  uint64_t last_ns; /* end of the latest event, from the anchor */
  int inferred;     /* some blocked decisions were guessed from durations */
  struct iotv_features f;
  struct iotv_map *sites; /* (site << 8 | call) -> struct iotv_sitestat, with by_site only */
};

/* Adds one process's figures for a call into a total over several processes. */
void iotv_callstat_merge(struct iotv_callstat *into, const struct iotv_callstat *from);

/* Walks every event of t once; memory does not depend on the number of events. */
struct iotv_stats *iotv_stats_collect(struct iotv_trace *t, int by_site);
void iotv_stats_free(struct iotv_stats *s);
/* Process duration: from the header when the process ended, else up to its last event. */
uint64_t iotv_stats_duration(const struct iotv_stats *s, const struct iotv_trace *t);

/* The IO model, as a name and one line of evidence with numbers. */
void iotv_diagnose(const struct iotv_stats *s, char *name, size_t name_len, char *evidence,
                   size_t evidence_len);

#endif
