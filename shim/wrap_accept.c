/* accept and accept4: the connection waited for, and the new fd it gives. */
#define _GNU_SOURCE
#include <sys/socket.h>

#include "iot_shim.h"
#include "real.h"

IOT_EXPORT int accept(int fd, __SOCKADDR_ARG addr, socklen_t *alen) {
  struct iot_span c;
  iot_begin(&c);
  int ret = IOT_REAL(accept)(fd, addr, alen);
  int err = errno;
  if (c.on)
    iot_end(&c);
  if (ret >= 0)
    iot_fd_created(ret, IOT_FD_SOCKET);
  if (c.on)
    iot_record(&c, IOT_CALL_ACCEPT, fd, ret, err, 0, 0, 0);
  errno = err;
  return ret;
}

IOT_EXPORT int accept4(int fd, __SOCKADDR_ARG addr, socklen_t *alen, int flags) {
  struct iot_span c;
  iot_begin(&c);
  int ret = IOT_REAL(accept4)(fd, addr, alen, flags);
  int err = errno;
  if (c.on)
    iot_end(&c);
  if (ret >= 0)
    iot_fd_created(ret, IOT_FD_SOCKET);
  if (c.on)
    iot_record(&c, IOT_CALL_ACCEPT4, fd, ret, err, 0, 0, (uint8_t)0);
  errno = err;
  return ret;
}
