/* The GNU build id of a mapped ELF file, read from the process's own memory. */
#ifndef IOT_BUILDID_H
#define IOT_BUILDID_H

#include <stdint.h>

/* The build id of the ELF file whose first page is mapped at base, reading only inside [lo, hi):
 * its length (at most cap bytes copied to out), or 0 when there is none to be found there. */
unsigned iot_buildid_read(uintptr_t base, uintptr_t lo, uintptr_t hi, unsigned char *out,
                          unsigned cap);

#endif
