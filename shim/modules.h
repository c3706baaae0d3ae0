/* The executable mappings behind call-site frames, and the variable-length records that carry
 * them and the sites into the trace. */
#ifndef IOT_MODULES_H
#define IOT_MODULES_H
#include <stdint.h>

#include "iotrace_format.h"

/* Makes sure every one of the n frames lies in a mapping already written as a MODULES record,
 * reading /proc/self/maps only when one does not. */
void iot_modules_cover(void *const *ips, int n);
/* In a forked child: its file has none of the parent's records. */
void iot_modules_forked(void);
/* Appends len bytes to the STACKS or MODULES chunk kept in *slot, claiming a new one if full. */
void *iot_meta_append(struct iot_chunk **slot, uint16_t type, uint32_t len);
#endif
