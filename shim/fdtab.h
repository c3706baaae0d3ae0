/* Internal to the fd table's files: the per-fd array, its lock, and the /proc fdinfo count. */
#ifndef IOT_FDTAB_H
#define IOT_FDTAB_H
#include <stdint.h>

#include "sigblock.h"

struct iot_ep;
struct iot_fdent {
  uint32_t ofd;
  uint8_t kind;
  uint8_t pad[3];
  struct iot_ep *ep; /* for an epoll fd: its set, read without the lock by epoll_wait */
};
extern struct iot_fdent *iot_fds;
extern unsigned iot_fds_cap;

/* A held lock, with the signal mask to restore when it is released. */
struct iot_guard {
  struct iot_sigblock sig;
};
/* Takes the table's lock with every signal blocked; 0 if it could not (the caller does without). */
int iot_lock(struct iot_guard *g);
void iot_unlock(struct iot_guard *g);
/* 1 if the owner is a thread of this process that fork() left behind (in a child after _Fork). */
int iot_lock_orphaned(void);
/* fork: the lock this thread's fork() took in its prepare handler, handed back to be released. */
int iot_lock_fork_handback(struct iot_guard *g);

/* The number of "tfd:" lines in /proc/self/fdinfo/EPFD, or -1 if it cannot be read. */
long iot_count_fdinfo(int epfd);
#endif
