/* Chrome trace-event JSON export (Perfetto, chrome://tracing): slices, phases and readiness flows.
 */
#include <inttypes.h>
#include <string.h>

#include "export.h"
#include "fmt.h"
#include "model.h"

/* Readiness arrows still open on a thread: the reads a multiplexer call may have announced. */
struct flow_state {
  uint64_t ts;     /* the multiplexer call's start */
  unsigned left;   /* reads still to link */
  int32_t fds[64]; /* fds already linked, so one arrow per ready fd */
  unsigned nfds;
};

/* Microseconds with the nanoseconds kept as a fraction: the format's unit is the us. */
static void us(FILE *f, const char *key, uint64_t ns) {
  fprintf(f, ",\"%s\":%" PRIu64 ".%03u", key, ns / 1000, (unsigned)(ns % 1000));
}

static void metadata(FILE *f, const struct iotv_trace *t, int first) {
  char name[300];
  size_t k;
  const char *prog = t->argc ? t->argv[0] : "?";
  const char *slash = strrchr(prog, '/');
  snprintf(name, sizeof name, "%s (pid %u%s)", slash ? slash + 1 : prog, t->hdr.pid,
           t->hdr.exec_seq ? ", after exec" : "");
  fprintf(f, "%s{\"ph\":\"M\",\"pid\":%u,\"tid\":%u,\"name\":\"process_name\",\"args\":{\"name\":",
          first ? "" : ",\n", t->hdr.pid, t->hdr.pid);
  iotv_json_str(f, name);
  fputs("}}", f);
  for (k = 0; k < t->nthreads; k++) {
    fprintf(f,
            ",\n{\"ph\":\"M\",\"pid\":%u,\"tid\":%u,\"name\":\"thread_name\",\"args\":{\"name\":",
            t->hdr.pid, t->threads[k].tid);
    iotv_json_str(f, t->threads[k].name[0] ? t->threads[k].name : "thread");
    fputs("}}", f);
  }
}

static void slice(FILE *f, const struct iotv_trace *t, uint32_t tid, const struct iot_event *e,
                  uint64_t ts) {
  uint64_t to_k, to_u;
  int inferred, blocked = iotv_event_blocked(e, &inferred);
  iot_event_bytes(e, &t->hdr, &to_k, &to_u);
  fprintf(f, ",\n{\"ph\":\"X\",\"pid\":%u,\"tid\":%u,\"name\":\"%s\",\"cat\":\"%s\"", t->hdr.pid,
          tid, iotv_call_name(e->call), iotv_kind_name(iotv_event_kind(e)));
  us(f, "ts", ts);
  us(f, "dur", iot_event_dur_ns(e));
  fprintf(f, ",\"args\":{\"fd\":%d,\"result\":%d,\"errno\":%u,\"blocked\":%s%s", e->fd, e->result,
          e->err, blocked ? "true" : "false", inferred ? ",\"blocked_inferred\":true" : "");
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

static void flows(FILE *f, const struct iotv_trace *t, uint32_t tid, const struct iot_event *e,
                  uint64_t ts, struct flow_state *fs, uint64_t *next_id) {
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
          ",\"name\":\"ready\",\"cat\":\"readiness\"",
          t->hdr.pid, tid, *next_id);
  us(f, "ts", fs->ts);
  fprintf(f,
          "},\n{\"ph\":\"f\",\"bp\":\"e\",\"pid\":%u,\"tid\":%u,\"id\":%" PRIu64
          ",\"name\":\"ready\",\"cat\":\"readiness\"",
          t->hdr.pid, tid, *next_id);
  us(f, "ts", ts);
  fputs("}", f);
  (*next_id)++;
}

void iotv_export_chrome(FILE *f, struct iotv_trace *tr, size_t n, uint64_t base) {
  size_t i, k;
  uint64_t next_id = 1;
  fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n", f);
  for (i = 0; i < n; i++)
    metadata(f, &tr[i], i == 0);
  for (i = 0; i < n; i++) {
    struct iotv_trace *t = &tr[i];
    uint64_t shift = t->hdr.mono_anchor_ns - base;
    for (k = 0; k < t->nthreads; k++) {
      struct iotv_cursor c;
      struct flow_state fs;
      const struct iot_event *e;
      memset(&fs, 0, sizeof fs);
      iotv_cursor_init(&c, t, k);
      while ((e = iotv_cursor_next(&c, NULL)) != NULL) {
        uint64_t ts = e->start_ns + shift;
        slice(f, t, t->threads[k].tid, e, ts);
        flows(f, t, t->threads[k].tid, e, ts, &fs, &next_id);
      }
    }
  }
  fputs("\n]}\n", f);
}
