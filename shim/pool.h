/* A small allocator for the fd tables: mmap-backed, so the shim never calls the program's malloc.
 */
#ifndef IOT_POOL_H
#define IOT_POOL_H
#include <stddef.h>
/* Not thread-safe: callers hold the fd table's lock. */
void *iot_pool_alloc(size_t size);
void iot_pool_free(void *p, size_t size);
#endif
