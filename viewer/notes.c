/* The shim's notes: parses the NOTES chunks of a trace into a list of messages. */
#include <stdlib.h>
#include <string.h>

#include "reader.h"

static void load_chunk(struct iotv_trace *t, const struct iotv_chunk_ref *ch, size_t *cap) {
  unsigned char *p = malloc(ch->nslots ? ch->nslots : 1);
  uint64_t pos = 0, n = ch->nslots;
  if (!p)
    return;
  iotv_trace_read(t, ch->off + sizeof(struct iot_chunk), p, ch->nslots);
  while (pos + sizeof(struct iot_note_rec) <= n) {
    struct iot_note_rec r;
    uint64_t len;
    memcpy(&r, p + pos, sizeof r);
    /* An uncommitted record may have a garbage length, so nothing after it can be trusted. */
    if (r.commit != IOT_NOTE_COMMIT)
      break;
    len = sizeof r + r.len;
    if (pos + len > n) {
      iotv_trace_warn(t, ch->off + sizeof(struct iot_chunk) + pos,
                      "note runs past its chunk; ignored");
      break;
    }
    if (t->nnotes == *cap) {
      size_t nc = *cap ? *cap * 2 : 8;
      struct iotv_note *q = realloc(t->notes, nc * sizeof *q);
      if (!q)
        break;
      t->notes = q;
      *cap = nc;
    }
    t->notes[t->nnotes].time_ns = r.time_ns;
    t->notes[t->nnotes].text = strndup((const char *)p + pos + sizeof r, r.len);
    if (!t->notes[t->nnotes].text)
      break;
    t->nnotes++;
    pos += (len + 7u) & ~(uint64_t)7u;
  }
  free(p);
}

void iotv_trace_load_notes(struct iotv_trace *t) {
  size_t i, cap = 0;
  if (t->notes)
    return;
  for (i = 0; i < t->nmeta; i++)
    if (t->meta[i].type == IOT_CHUNK_NOTES)
      load_chunk(t, &t->meta[i], &cap);
}
