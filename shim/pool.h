/* A small allocator for the fd tables: mmap-backed, so the shim never calls the program's malloc.
 */
#ifndef IOT_POOL_H
#define IOT_POOL_H
#include <stddef.h>
/* Not thread-safe: callers hold the fd table's lock. */
void *iot_pool_alloc(size_t size);
void iot_pool_free(void *p, size_t size);
/* Maps the first slab ahead of need (before a sandbox can forbid mmap). */
void iot_pool_reserve(void);
/* In a child whose table was dropped: the free lists may be torn, so they are not used again. */
void iot_pool_forget(void);
#endif
