/* Small helpers over raw system calls, for the shim's own file I/O (never traced, never buffered).
 */
#ifndef IOT_SYS_H
#define IOT_SYS_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

int iot_sys_write_all(int fd, const void *buf, size_t len);
int iot_sys_pwrite_all(int fd, const void *buf, size_t len, uint64_t off);
/* Reads up to cap bytes of a file; returns the bytes read (0 on error). */
size_t iot_sys_read_file(const char *path, char *buf, size_t cap);
/* Field 22 of /proc/self/stat: when the process started, unchanged by exec. */
uint64_t iot_sys_proc_start_ticks(void);
#endif
