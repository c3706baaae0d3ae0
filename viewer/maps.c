/* Small u64-keyed hash maps: the only place in the viewer that touches uthash. */
#include "maps.h"

#include <stdlib.h>
#include <string.h>

#include <uthash.h>

struct entry {
  uint64_t key;
  UT_hash_handle hh;
  /* the value follows, aligned like the handle */
};

struct iotv_map {
  struct entry *head;
  size_t value_size;
};

static void *value_of(struct entry *e) {
  return e + 1;
}

struct iotv_map *iotv_map_new(size_t value_size) {
  struct iotv_map *m = calloc(1, sizeof *m);
  if (m)
    m->value_size = value_size;
  return m;
}

void iotv_map_free(struct iotv_map *m) {
  struct entry *e, *tmp;
  if (!m)
    return;
  HASH_ITER(hh, m->head, e, tmp) {
    HASH_DEL(m->head, e);
    free(e);
  }
  free(m);
}

void *iotv_map_get(const struct iotv_map *m, uint64_t key) {
  struct entry *e = NULL;
  if (!m)
    return NULL;
  HASH_FIND(hh, m->head, &key, sizeof key, e);
  return e ? value_of(e) : NULL;
}

void *iotv_map_upsert(struct iotv_map *m, uint64_t key) {
  struct entry *e = NULL;
  HASH_FIND(hh, m->head, &key, sizeof key, e);
  if (e)
    return value_of(e);
  e = calloc(1, sizeof *e + m->value_size);
  if (!e)
    return NULL;
  e->key = key;
  HASH_ADD(hh, m->head, key, sizeof e->key, e);
  return value_of(e);
}

size_t iotv_map_count(const struct iotv_map *m) {
  return m ? HASH_COUNT(m->head) : 0;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

uint64_t *iotv_map_sorted_keys(const struct iotv_map *m) {
  size_t n = iotv_map_count(m), i = 0;
  struct entry *e, *tmp;
  uint64_t *keys;
  if (n == 0)
    return NULL;
  keys = malloc(n * sizeof *keys);
  if (!keys)
    return NULL;
  HASH_ITER(hh, m->head, e, tmp) {
    keys[i++] = e->key;
  }
  qsort(keys, n, sizeof *keys, cmp_u64);
  return keys;
}
