/* CSV export: one row per event with a header row; every string field quoted and escaped. */
#include <inttypes.h>
#include <stdio.h>

#include "export.h"
#include "fmt.h"
#include "model.h"
#include "time_order.h"

void iotv_export_csv(FILE *f, struct iotv_trace *tr, size_t n, uint64_t base) {
  size_t i;
  fputs("file,pid,exec_seq,tid,thread,call,start_ns,dur_ns,fd,arg,aux,result,errno,blocked,"
        "blocked_inferred,would_block,kind,bytes_to_kernel,bytes_to_user,site,flags\n",
        f);
  for (i = 0; i < n; i++) {
    struct iotv_trace *t = &tr[i];
    /* start_ns is from the earliest file's anchor, so rows of several files sort together. */
    uint64_t shift = t->anchor_ns - base;
    struct iotv_time_order *o = iotv_time_order_new(t);
    const struct iot_event *e;
    uint32_t site;
    size_t k;
    if (!o) {
      fprintf(stderr, "iotrace export: %s: out of memory\n", t->path);
      continue;
    }
    while ((e = iotv_time_order_next(o, &k, &site)) != NULL) {
      uint64_t to_k, to_u;
      int inferred, blocked = iotv_event_blocked(e, &inferred);
      iot_event_bytes(e, &t->hdr, &to_k, &to_u);
      iotv_csv_str(f, t->path);
      fprintf(f, ",%u,%u,%u,", t->hdr.pid, t->hdr.exec_seq, t->threads[k].tid);
      iotv_csv_str(f, t->threads[k].name);
      fputc(',', f);
      iotv_csv_str(f, iotv_call_name(e->call));
      fprintf(f, ",%" PRIu64 ",%" PRIu64 ",%d,%u,%u,%d,%u,%d,%d,%d,", e->start_ns + shift,
              iot_event_dur_ns(e), e->fd, e->arg, e->aux, e->result, e->err, blocked, inferred,
              (e->flags & IOT_EF_WOULDBLOCK) != 0);
      iotv_csv_str(f, iotv_kind_name(iotv_event_kind(e)));
      fprintf(f, ",%" PRIu64 ",%" PRIu64 ",%u,%u\n", to_k, to_u, site, e->flags);
    }
    iotv_time_order_free(o);
  }
}
