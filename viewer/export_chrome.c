/* Chrome trace-event JSON export (Perfetto, chrome://tracing): slices, phases and readiness flows.
 */
#include <inttypes.h>
#include <string.h>

#include "align.h"
#include "export.h"
#include "fmt.h"
#include "model.h"
#include "nested.h"

/* Readiness arrows still open on a thread: the reads a multiplexer call may have announced. */
struct flow_state {
  uint64_t ts;     /* the multiplexer call's start */
  unsigned left;   /* reads still to link */
  int32_t fds[64]; /* fds already linked, so one arrow per ready fd */
  unsigned nfds;
};

/*
 * One category for every event: Chromium's trace engine binds a flow to a slice only when their
 * categories match, so the kind of a slice goes into its args instead.  Metadata events carry
 * the category Chrome itself gives them, as some readers require one on every event.
 */
#define CATEGORY "iotrace"
#define META_CATEGORY "__metadata"

/*
 * Every file is a process track of its own.  Two files can hold the same pid (two hosts, two
 * containers, successive exec images), so a pid already used by an earlier file is moved up by
 * multiples of 2^22, above any pid Linux hands out, keeping the real one in the low bits; its
 * threads move with it.
 */
#define PID_SPACE 4194304u

static uint32_t track_shift(const struct iotv_trace *tr, size_t i) {
  uint32_t k = 0;
  size_t j;
  for (j = 0; j < i; j++)
    if (tr[j].hdr.pid == tr[i].hdr.pid)
      k++;
  return k * PID_SPACE;
}

/* Microseconds with the nanoseconds kept as a fraction: the format's unit is the us. */
static void us(FILE *f, const char *key, uint64_t ns) {
  fprintf(f, ",\"%s\":%" PRIu64 ".%03u", key, ns / 1000, (unsigned)(ns % 1000));
}

static void metadata(FILE *f, const struct iotv_trace *t, uint32_t shift, int show_host,
                     int first) {
  char name[400];
  size_t k;
  const char *prog = t->argc ? t->argv[0] : "?";
  const char *slash = strrchr(prog, '/');
  snprintf(name, sizeof name, "%s%s%s (pid %u%s)", show_host ? t->hdr.host : "",
           show_host ? ": " : "", slash ? slash + 1 : prog, t->hdr.pid,
           t->hdr.exec_seq ? ", after exec" : "");
  fprintf(f,
          "%s{\"ph\":\"M\",\"cat\":\"" META_CATEGORY "\",\"pid\":%u,\"tid\":%u,"
          "\"name\":\"process_name\",\"args\":{\"name\":",
          first ? "" : ",\n", t->hdr.pid + shift, t->hdr.pid + shift);
  iotv_json_str(f, name);
  fputs("}}", f);
  for (k = 0; k < t->nthreads; k++) {
    fprintf(f,
            ",\n{\"ph\":\"M\",\"cat\":\"" META_CATEGORY "\",\"pid\":%u,\"tid\":%u,"
            "\"name\":\"thread_name\",\"args\":{\"name\":",
            t->hdr.pid + shift, t->threads[k].tid + shift);
    iotv_json_str(f, t->threads[k].name[0] ? t->threads[k].name : "thread");
    fputs("}}", f);
  }
}

static void slice(FILE *f, const struct iotv_trace *t, uint32_t pid, uint32_t tid,
                  const struct iot_event *e, uint64_t ts) {
  uint64_t to_k, to_u;
  int inferred, blocked = iotv_event_blocked(e, &inferred);
  iot_event_bytes(e, &t->hdr, &to_k, &to_u);
  fprintf(f, ",\n{\"ph\":\"X\",\"pid\":%u,\"tid\":%u,\"name\":\"%s\",\"cat\":\"" CATEGORY "\"", pid,
          tid, iotv_call_name(e->call));
  us(f, "ts", ts);
  us(f, "dur", iot_event_dur_ns(e));
  fprintf(f, ",\"args\":{\"kind\":\"%s\",\"fd\":%d,\"result\":%d,\"errno\":%u,\"blocked\":%s%s",
          iotv_kind_name(iotv_event_kind(e)), e->fd, e->result, e->err,
          blocked ? "true" : "false", inferred ? ",\"blocked_inferred\":true" : "");
  if (e->flags & IOT_EF_WOULDBLOCK)
    fputs(",\"would_block\":true", f);
  if (iotv_call_is_scan(e->call))
    fprintf(f, ",\"fds_scanned\":%u,\"fds_watched\":%u", e->arg, e->aux);
  if (iotv_call_is_epoll_wait(e->call)) {
    fprintf(f, ",\"maxevents\":%u", e->arg);
    if (e->aux != IOT_UNKNOWN)
      fprintf(f, ",\"interest\":%u", e->aux);
  }
  if (iotv_call_asks_bytes(e->call) || e->call == IOT_CALL_PHASE_COPY)
    fprintf(f, ",\"bytes_asked\":%u", e->arg);
  fprintf(f, ",\"bytes_to_kernel\":%" PRIu64 ",\"bytes_to_user\":%" PRIu64 "}}", to_k, to_u);
}

static void flows(FILE *f, uint32_t pid, uint32_t tid, const struct iot_event *e, uint64_t ts,
                  struct flow_state *fs, uint64_t *next_id) {
  unsigned i;
  if (iotv_call_is_mux(e->call)) {
    /* Ready fds are not recorded: epoll links the next reads of distinct fds, up to the ready
     * count; select and poll only the next read, as nothing says which fds they found. */
    fs->left = e->result > 0 ? (iotv_call_is_epoll_wait(e->call) ? (unsigned)e->result : 1) : 0;
    fs->ts = ts;
    fs->nfds = 0;
    return;
  }
  if (!iotv_call_is_read(e->call) || fs->left == 0)
    return;
  for (i = 0; i < fs->nfds; i++)
    if (fs->fds[i] == e->fd)
      return;
  if (fs->nfds < sizeof fs->fds / sizeof fs->fds[0])
    fs->fds[fs->nfds++] = e->fd;
  fs->left--;
  fprintf(f,
          ",\n{\"ph\":\"s\",\"pid\":%u,\"tid\":%u,\"id\":%" PRIu64
          ",\"name\":\"ready\",\"cat\":\"" CATEGORY "\",\"args\":{}",
          pid, tid, *next_id);
  us(f, "ts", fs->ts);
  fprintf(f,
          "},\n{\"ph\":\"f\",\"bp\":\"e\",\"pid\":%u,\"tid\":%u,\"id\":%" PRIu64
          ",\"name\":\"ready\",\"cat\":\"" CATEGORY "\",\"args\":{}",
          pid, tid, *next_id);
  us(f, "ts", ts);
  fputs("}", f);
  (*next_id)++;
}

void iotv_export_chrome(FILE *f, struct iotv_trace *tr, size_t n, uint64_t base) {
  size_t i, k;
  uint64_t next_id = 1;
  int show_host = iotv_host_count(tr, n) > 1;
  fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n", f);
  for (i = 0; i < n; i++)
    metadata(f, &tr[i], track_shift(tr, i), show_host, i == 0);
  for (i = 0; i < n; i++) {
    struct iotv_trace *t = &tr[i];
    uint64_t shift = t->anchor_ns - base;
    uint32_t moved = track_shift(tr, i), pid = t->hdr.pid + moved;
    for (k = 0; k < t->nthreads; k++) {
      struct iotv_nested c;
      struct flow_state fs;
      const struct iot_event *e;
      memset(&fs, 0, sizeof fs);
      iotv_nested_init(&c, t, k);
      while ((e = iotv_nested_next(&c, NULL)) != NULL) {
        uint64_t ts = e->start_ns + shift;
        slice(f, t, pid, t->threads[k].tid + moved, e, ts);
        flows(f, pid, t->threads[k].tid + moved, e, ts, &fs, &next_id);
      }
    }
  }
  fputs("\n]}\n", f);
}
