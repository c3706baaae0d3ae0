/* Appends call-site and module records to their chunks, claiming a new chunk when one is full. */
#include "iot_shim.h"
#include "modules.h"

#define IOT_META_CHUNK (4u * 1024u)

void *iot_meta_append(struct iot_chunk **slot, uint16_t type, uint32_t len) {
  struct iot_chunk *ch = *slot;
  if (!ch || ch->used + len > ch->capacity) {
    uint32_t size = IOT_META_CHUNK;
    while (size - sizeof *ch < len)
      size *= 2;
    ch = iot_claim_chunk(type, size);
    if (!ch)
      return NULL;
    ch->capacity = size - sizeof *ch;
    *slot = ch;
  }
  void *p = (char *)(ch + 1) + ch->used;
  ch->used += len;
  return p;
}
