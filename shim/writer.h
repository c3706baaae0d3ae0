/* What the trace file's parts share: its path and identity, the own fd, and the chunk space. */
#ifndef IOT_WRITER_H
#define IOT_WRITER_H
#include <stdint.h>
#include <sys/types.h>

extern char iot_path[4400]; /* the trace file of this process */
extern dev_t iot_dev;       /* and its identity, to tell it from a file that took its fd number */
extern ino_t iot_ino;

/* ---- the own fd (ownfd.c) ---- */
/* Moves fd to the top of the fd range, out of the way of the program's numbering. */
int iot_fd_to_top(int fd);
/* The trace fd, checked to still be the trace file, or reopened by path; -1 without one. */
int iot_own_fd(void);

/* ---- the chunk space (writer.c) ---- */
/* Starts handing out chunks of the file on fd, whose first `extent` bytes are allocated; maps the
 * header.  Returns the header, or NULL with errno set. */
struct iot_file_header *iot_space_start(int fd, uint64_t extent, uint64_t limit);
/* Stops handing out chunks; returns where the data ends. */
uint64_t iot_space_close(void);
void iot_space_reopen(void); /* an exec failed: hand out chunks again */
/* Forgets the mapping; unmaps it unless a system call is out of the question. */
void iot_space_forget(void);
/* Allocates [from, to) of the file on fd: 0 or an errno. */
int iot_allocate(int fd, uint64_t from, uint64_t to);
/* Takes what a sandboxed process may still record into, allocated and mapped, then never makes
 * another system call. */
void iot_space_sandbox(void);
/* In a SIGBUS handler: if addr is in the shim's mapping, puts anonymous memory in place of all of
 * it, stops recording and returns 1 (the file was cut under the program). */
int iot_space_cut(const void *addr);
extern volatile int iot_space_is_cut;

/* ---- SIGBUS (sigbus.c) ---- */
void iot_sigbus_init(void);
#endif
