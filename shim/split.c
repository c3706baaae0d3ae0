/* IOTRACE_SPLIT: a blocking read shown as its two phases, waiting for data and copying it. */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/socket.h>

#include "iot_shim.h"
#include "real.h"

/*
 * Phase 1 waits with recv(fd, &byte, 1, MSG_PEEK): the same kernel path as the
 * read itself, so SO_RCVTIMEO, SA_RESTART, EINTR and errors behave exactly as
 * they would have, and nothing is consumed.  If it fails, its answer is the
 * read's answer.  Phase 2 is then the program's own call, unchanged: data is
 * there, so it only copies (unless MSG_WAITALL or SO_RCVLOWAT ask for more,
 * and then it waits as it would have).
 *
 * The peek is what would change a call's result if the fd were not a socket
 * (a number libc closed and reused behind the shim): ENOTSOCK there means the
 * cached kind was stale.  The kind is forgotten and the program's own call runs
 * alone, unsplit; the caller sees no IOT_EF_HAS_PHASES and decides again.
 */
ssize_t iot_split(struct iot_span *outer, int fd, int flags, size_t len, iot_copy_fn copy,
                  void *args) {
  struct iot_span wait, copying;
  char byte;
  int before = errno;
  iot_begin(&wait);
  ssize_t peek = IOT_REAL(recv)(fd, &byte, 1, MSG_PEEK | (flags & MSG_DONTWAIT));
  iot_end(&wait);
  int err = errno;
  if (peek < 0 && err == ENOTSOCK) {
    iot_fd_reused(fd);
    errno = before; /* the program's errno, as the call it made will leave it */
    ssize_t ret = copy(args);
    iot_end(outer);
    return ret;
  }
  iot_record(&wait, IOT_CALL_PHASE_WAIT, fd, peek < 0 ? -1 : 0, err, 0, 0, 0);
  ssize_t ret = -1;
  copying.blocked = 0;
  if (peek >= 0) {
    iot_begin(&copying);
    ret = copy(args);
    iot_end(&copying);
    err = errno;
    iot_record(&copying, IOT_CALL_PHASE_COPY, fd, ret, err, len, 0, 0);
  }
  outer->t1 = iot_now();
  outer->blocked = wait.blocked > 0 || copying.blocked > 0 ? 1 : wait.blocked;
  outer->ended = 1;
  outer->flags |= IOT_EF_HAS_PHASES;
  errno = err;
  return ret;
}
