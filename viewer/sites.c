/* Call sites: parses the stacks and modules chunks of a trace into lookup tables. */
#include <stdlib.h>
#include <string.h>

#include "maps.h"
#include "reader.h"

/* Records are padded to 8 bytes so the next one starts aligned. */
static uint64_t pad8(uint64_t n) {
  return (n + 7u) & ~(uint64_t)7u;
}

/* A private copy of a chunk's payload, kept until the trace closes (sites point into it). */
static const unsigned char *payload(struct iotv_trace *t, const struct iotv_chunk_ref *ch) {
  unsigned char *p, **list;
  list = realloc(t->meta_bufs, (t->nmeta_bufs + 1) * sizeof *list);
  if (!list)
    return NULL;
  t->meta_bufs = list;
  p = malloc(ch->nslots ? ch->nslots : 1);
  if (!p)
    return NULL;
  iotv_trace_read(t, ch->off + sizeof(struct iot_chunk), p, ch->nslots);
  t->meta_bufs[t->nmeta_bufs++] = p;
  return p;
}

static void load_stacks(struct iotv_trace *t, const struct iotv_chunk_ref *ch) {
  uint64_t pos = 0, n = ch->nslots;
  const unsigned char *p = payload(t, ch);
  if (!p)
    return;
  while (pos + sizeof(struct iot_stack_rec) <= n) {
    struct iot_stack_rec r;
    struct iotv_site *s;
    uint64_t len;
    memcpy(&r, p + pos, sizeof r);
    /* An uncommitted record may have a garbage frame count, so nothing after it can be trusted. */
    if (r.commit != IOT_STACK_COMMIT || r.id == 0)
      break;
    len = sizeof r + (uint64_t)r.nframes * 8u;
    if (pos + len > n) {
      iotv_trace_warn(t, ch->off + sizeof(struct iot_chunk) + pos,
                      "stack record %u runs past its chunk; ignored", r.id);
      break;
    }
    s = iotv_map_upsert(t->sites, r.id);
    if (s) {
      s->id = r.id;
      s->nframes = r.nframes;
      s->ip = p + pos + sizeof r;
    }
    pos += pad8(len);
  }
}

static void load_modules(struct iotv_trace *t, const struct iotv_chunk_ref *ch, size_t *cap) {
  uint64_t pos = 0, n = ch->nslots;
  const unsigned char *p = payload(t, ch);
  if (!p)
    return;
  while (pos + sizeof(struct iot_module_rec) <= n) {
    struct iot_module_rec r;
    struct iotv_module *m;
    uint64_t len;
    memcpy(&r, p + pos, sizeof r);
    if (r.commit != IOT_MODULE_COMMIT)
      break;
    len = sizeof r + r.path_len;
    if (pos + len > n || r.end <= r.start) {
      iotv_trace_warn(t, ch->off + sizeof(struct iot_chunk) + pos, "bad module record; ignored");
      break;
    }
    if (t->nmodules == *cap) {
      size_t nc = *cap ? *cap * 2 : 16;
      struct iotv_module *q = realloc(t->modules, nc * sizeof *q);
      if (!q)
        return;
      t->modules = q;
      *cap = nc;
    }
    m = &t->modules[t->nmodules];
    memset(m, 0, sizeof *m);
    m->start = r.start;
    m->end = r.end;
    m->file_offset = r.file_offset;
    m->path = strndup((const char *)p + pos + sizeof r, r.path_len);
    if (!m->path)
      return;
    t->nmodules++;
    pos += pad8(len);
  }
}

/* Build ids name the file each module was mapped from; they follow its MODULES record. */
static void load_buildids(struct iotv_trace *t, const struct iotv_chunk_ref *ch) {
  uint64_t pos = 0, n = ch->nslots;
  const unsigned char *p = payload(t, ch);
  size_t i;
  if (!p)
    return;
  while (pos + sizeof(struct iot_buildid_rec) <= n) {
    struct iot_buildid_rec r;
    memcpy(&r, p + pos, sizeof r);
    if (r.commit != IOT_BUILDID_COMMIT)
      break;
    if (r.len == 0 || r.len > 64 || pos + sizeof r + r.len > n) {
      iotv_trace_warn(t, ch->off + sizeof(struct iot_chunk) + pos, "bad build id record; ignored");
      break;
    }
    for (i = 0; i < t->nmodules; i++)
      if (t->modules[i].start == r.start) {
        memcpy(t->modules[i].build_id, p + pos + sizeof r, r.len);
        t->modules[i].build_id_len = r.len;
      }
    pos += pad8(sizeof r + r.len);
  }
}

void iotv_trace_load_sites(struct iotv_trace *t) {
  size_t i, cap = 0;
  if (t->sites)
    return;
  t->sites = iotv_map_new(sizeof(struct iotv_site));
  if (!t->sites)
    return;
  for (i = 0; i < t->nmeta; i++) {
    if (t->meta[i].type == IOT_CHUNK_STACKS)
      load_stacks(t, &t->meta[i]);
    else if (t->meta[i].type == IOT_CHUNK_MODULES)
      load_modules(t, &t->meta[i], &cap);
  }
  for (i = 0; i < t->nmeta; i++)
    if (t->meta[i].type == IOT_CHUNK_BUILDIDS)
      load_buildids(t, &t->meta[i]);
}

const struct iotv_site *iotv_trace_site(const struct iotv_trace *t, uint32_t id) {
  return id ? iotv_map_get(t->sites, id) : NULL;
}

uint64_t iotv_site_ip(const struct iotv_site *s, uint32_t i) {
  uint64_t ip;
  memcpy(&ip, s->ip + (uint64_t)i * 8u, sizeof ip);
  return ip;
}
