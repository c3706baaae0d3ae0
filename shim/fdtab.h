/* Internal to the fd table's files: the per-fd array, its lock, and the /proc fdinfo count. */
#ifndef IOT_FDTAB_H
#define IOT_FDTAB_H
#include <stdint.h>

struct iot_ep;
struct iot_fdent {
  uint32_t ofd;
  uint8_t kind;
  uint8_t pad[3];
  struct iot_ep *ep; /* for an epoll fd: its set, read without the lock by epoll_wait */
};
extern struct iot_fdent *iot_fds;
extern unsigned iot_fds_cap;

/* Takes the table's lock; 0 if it may not (the caller does without, see iot_skipped). */
int iot_lock(void);
void iot_unlock(void);
/* Forgets every description and set (fdtab.c): the table may be torn. */
void iot_fdtab_forget(void);
/* 1 if the owner is a thread of this process that fork() left behind (in a child after _Fork). */
int iot_lock_orphaned(void);
/* fork: 1 if this thread's fork() took the lock in its prepare handler (now to be released). */
int iot_lock_fork_handback(void);

/* The number of "tfd:" lines in /proc/self/fdinfo/EPFD, or -1 if it cannot be read. */
long iot_count_fdinfo(int epfd);
#endif
