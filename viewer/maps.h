/* Small u64-keyed hash maps: the only place in the viewer that touches uthash. */
#ifndef IOTV_MAPS_H
#define IOTV_MAPS_H

#include <stddef.h>
#include <stdint.h>

struct iotv_map;

/* Each value is a zero-filled block of value_size bytes owned by the map. */
struct iotv_map *iotv_map_new(size_t value_size);
void iotv_map_free(struct iotv_map *m);
void *iotv_map_get(const struct iotv_map *m, uint64_t key);
/* Returns the value for key, creating a zero-filled one if it is missing; NULL when out of memory.
 */
void *iotv_map_upsert(struct iotv_map *m, uint64_t key);
size_t iotv_map_count(const struct iotv_map *m);
/* Keys in ascending order, in a malloc'd array of iotv_map_count() entries (NULL if empty). */
uint64_t *iotv_map_sorted_keys(const struct iotv_map *m);

#endif
