/* Internal to the fd table's files: the per-fd array, its lock, and the /proc fdinfo count. */
#ifndef IOT_FDTAB_H
#define IOT_FDTAB_H
#include <stdint.h>

struct iot_reg;
/* An epoll instance's interest set, as this process knows it. */
struct iot_ep {
  uint32_t count;
  int uncertain;
  uint32_t epoch;
  uint32_t id;          /* its description's id, which picks its change counter */
  int shared;           /* forked processes of this family may change it */
  int foreign;          /* a process outside the family may change it */
  uint32_t seen;        /* its change counter when count was last right */
  uint64_t recounted;   /* stamp of the last recount */
  struct iot_reg *regs; /* uthash, keyed by (fd, description) */
};
extern uint32_t iot_epoch; /* bumped when an update was skipped: no count is trusted before it */
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

/* Sets shared with other processes (epfamily.c). */
void iot_ep_family_init(void);
void iot_ep_family_forked_child(void);
void iot_ep_forked(struct iot_ep *ep);  /* the set was there at a fork: now shared */
void iot_ep_changed(struct iot_ep *ep); /* this process changed its size */
void iot_ep_adopted(struct iot_ep *ep); /* this process added an fd only it holds */
int iot_ep_trusted(const struct iot_ep *ep);
int iot_ep_recounted_lately(const struct iot_ep *ep); /* then its size is recorded unknown */
uint32_t iot_ep_recount(struct iot_ep *ep, int epfd);

/* The number of "tfd:" lines in /proc/self/fdinfo/EPFD, or -1 if it cannot be read. */
long iot_count_fdinfo(int epfd);
#endif
