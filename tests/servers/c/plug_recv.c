/* A module loaded with dlopen by dlopen_recv: its own calls to recv and read must be traced. */
#include <sys/socket.h>
#include <unistd.h>

ssize_t plug_recv(int fd, void *buf, size_t len) {
  return recv(fd, buf, len, 0);
}

ssize_t plug_read(int fd, void *buf, size_t len) {
  return read(fd, buf, len);
}
