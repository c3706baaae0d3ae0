/* A file's events across all its threads in start order: a merge of the per-thread cursors. */
#include "time_order.h"
#include "nested.h"

#include <stdlib.h>
#include <string.h>

/*
 * Each thread's events come in the order they were recorded, which is the order they ended: a
 * read that waited is recorded after the phases inside it, and after whatever a signal handler
 * recorded while it waited.  A small window per thread, kept sorted, puts those back in start
 * order; a min-heap of the threads' earliest events then merges the threads.
 */
struct pending {
  struct iot_event e;
  uint32_t site;
};

struct stream {
  struct iotv_nested c;
  struct pending win[IOTV_REORDER_WINDOW]; /* sorted by start, earliest first */
  unsigned first, n;
  int done;
};

struct iotv_time_order {
  struct stream *s;
  size_t *heap; /* thread indexes, earliest head first */
  size_t nheap;
  struct iot_event out;
};

static void fill(struct stream *s) {
  const struct iot_event *e;
  uint32_t site;
  if (s->first > 0 && s->n > 0) {
    memmove(s->win, s->win + s->first, s->n * sizeof *s->win);
  }
  s->first = 0;
  while (!s->done && s->n < IOTV_REORDER_WINDOW) {
    unsigned i;
    if ((e = iotv_nested_next(&s->c, &site)) == NULL) {
      s->done = 1;
      break;
    }
    for (i = s->n; i > 0 && s->win[i - 1].e.start_ns > e->start_ns; i--)
      s->win[i] = s->win[i - 1];
    s->win[i].e = *e;
    s->win[i].site = site;
    s->n++;
  }
}

static uint64_t head(const struct iotv_time_order *o, size_t k) {
  const struct stream *s = &o->s[k];
  return s->win[s->first].e.start_ns;
}

static void sift_down(struct iotv_time_order *o, size_t i) {
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i, tmp;
    if (l < o->nheap && head(o, o->heap[l]) < head(o, o->heap[m]))
      m = l;
    if (r < o->nheap && head(o, o->heap[r]) < head(o, o->heap[m]))
      m = r;
    if (m == i)
      return;
    tmp = o->heap[i], o->heap[i] = o->heap[m], o->heap[m] = tmp;
    i = m;
  }
}

struct iotv_time_order *iotv_time_order_new(struct iotv_trace *t) {
  struct iotv_time_order *o = calloc(1, sizeof *o);
  size_t k, i;
  if (!o)
    return NULL;
  o->s = calloc(t->nthreads ? t->nthreads : 1, sizeof *o->s);
  o->heap = calloc(t->nthreads ? t->nthreads : 1, sizeof *o->heap);
  if (!o->s || !o->heap) {
    iotv_time_order_free(o);
    return NULL;
  }
  for (k = 0; k < t->nthreads; k++) {
    iotv_nested_init(&o->s[k].c, t, k);
    fill(&o->s[k]);
    if (o->s[k].n)
      o->heap[o->nheap++] = k;
  }
  for (i = o->nheap / 2; i-- > 0;)
    sift_down(o, i);
  return o;
}

const struct iot_event *iotv_time_order_next(struct iotv_time_order *o, size_t *thread,
                                             uint32_t *site) {
  struct stream *s;
  size_t k;
  if (o->nheap == 0)
    return NULL;
  k = o->heap[0];
  s = &o->s[k];
  o->out = s->win[s->first].e;
  if (site)
    *site = s->win[s->first].site;
  *thread = k;
  s->first++;
  s->n--;
  if (s->n < IOTV_REORDER_WINDOW / 2)
    fill(s);
  if (s->n == 0)
    o->heap[0] = o->heap[--o->nheap];
  sift_down(o, 0);
  return &o->out;
}

void iotv_time_order_free(struct iotv_time_order *o) {
  if (!o)
    return;
  free(o->s);
  free(o->heap);
  free(o);
}
