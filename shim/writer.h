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

/* ---- windows of the file (windows.c), under the writer's lock ---- */
#define IOT_WIN_OVERLAP (64u * 1024u) /* the largest chunk: it lies whole in its window */
/* The address of file offset off, its window mapped if need be; hold: a chunk starts there, and
 * the window stays until iot_win_release of it.  NULL with *err set if it cannot be mapped. */
char *iot_win_at(uint64_t off, int hold, int *err);
/* A chunk at p is no longer written into; cursor: where the next claim lands. */
void iot_win_release(const void *p, uint64_t cursor);
/* The cursor moved from `from` to `cursor`: the window it left may go. */
void iot_win_moved(uint64_t from, uint64_t cursor);
/* Maps and pins every window of [from, to); returns where that stopped (to if it did not). */
uint64_t iot_win_pin(uint64_t from, uint64_t to);
int iot_win_owns(const void *addr); /* in a window: for the SIGBUS handler */
void iot_win_to_anon(void);         /* every window becomes anonymous memory at its address */
void iot_win_forget(void);          /* unmaps them all, unless sandboxed */

/* ---- SIGBUS (sigbus.c) ---- */
void iot_sigbus_init(void);
#endif
