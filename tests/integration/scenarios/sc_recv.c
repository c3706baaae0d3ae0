/* Scenario for the read family: recv, recvfrom, recvmsg, recvmmsg, read, readv on sockets, pipes,
 * files. */
#define _GNU_SOURCE
#include "scenario.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

static void sockets(void) {
  char buf[64];
  int sp[2], dg[2];
  sc_socketpair(SOCK_STREAM, sp);
  sc_socketpair(SOCK_DGRAM, dg);

  sc_put(sp[1], "hello", 5);
  SHOW_BUF(recv(sp[0], buf, sc_opaque(sizeof buf), 0), buf);
  sc_put(sp[1], "peekaboo", 8);
  SHOW_BUF(recv(sp[0], buf, sc_opaque(4), MSG_PEEK), buf);
  SHOW_BUF(recv(sp[0], buf, sc_opaque(sizeof buf), 0), buf);
  SHOW(recv(sp[0], buf, sc_opaque(sizeof buf), MSG_DONTWAIT));
  SHOW(recv(sp[0], buf, sc_opaque(0), MSG_DONTWAIT));

  sc_put(sp[1], "from", 4);
  SHOW_BUF(recvfrom(sp[0], buf, sc_opaque(sizeof buf), 0, NULL, NULL), buf);
  sc_put(dg[1], "datagram", 8);
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  socklen_t slen = sizeof ss;
  SHOW_BUF(recvfrom(dg[0], buf, sc_opaque(sizeof buf), 0, (struct sockaddr *)&ss, &slen), buf);
  sc_say("  address length %u", slen); /* the peer of a socketpair has no name */
  sc_put(dg[1], "truncated datagram", 18);
  SHOW(recv(dg[0], buf, sc_opaque(9), MSG_TRUNC));
  sc_say("  copied %.9s", buf);

  char a[3], b[16];
  struct iovec iov[2] = {{a, sizeof a}, {b, sizeof b}};
  struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};
  sc_put(sp[1], "scattered", 9);
  SHOW(recvmsg(sp[0], &mh, 0));
  sc_say("  iov %.3s|%.6s flags %d", a, b, mh.msg_flags);

  /* An fd passed over the socket: the new fd is a pipe, and reads on it are the pipe's. */
  int p[2];
  sc_pipe(p);
  char cbuf[CMSG_SPACE(sizeof(int))] = {0};
  struct iovec one = {(char *)"x", 1};
  struct msghdr out = {.msg_iov = &one, .msg_iovlen = 1, .msg_control = cbuf};
  out.msg_controllen = sizeof cbuf;
  struct cmsghdr *c = CMSG_FIRSTHDR(&out);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &p[0], sizeof(int));
  SHOW(sendmsg(sp[1], &out, 0));
  char rbuf[CMSG_SPACE(sizeof(int))] = {0};
  struct iovec in = {buf, sizeof buf};
  struct msghdr inm = {.msg_iov = &in, .msg_iovlen = 1, .msg_control = rbuf};
  inm.msg_controllen = sizeof rbuf;
  SHOW_BUF(recvmsg(sp[0], &inm, 0), buf);
  int passed = -1;
  struct cmsghdr *rc = CMSG_FIRSTHDR(&inm);
  if (rc && rc->cmsg_type == SCM_RIGHTS)
    memcpy(&passed, CMSG_DATA(rc), sizeof(int));
  sc_say("  passed an fd: %s", passed >= 0 ? "yes" : "no");
  sc_put(p[1], "via passed fd", 13);
  SHOW_BUF(read(passed, buf, sc_opaque(sizeof buf)), buf);

  char m[4][16];
  struct iovec mi[4];
  struct mmsghdr mm[4];
  memset(mm, 0, sizeof mm);
  for (int i = 0; i < 4; i++) {
    mi[i] = (struct iovec){m[i], sizeof m[i]};
    mm[i].msg_hdr.msg_iov = &mi[i];
    mm[i].msg_hdr.msg_iovlen = 1;
  }
  sc_put(dg[1], "one", 3);
  sc_put(dg[1], "two!", 4);
  sc_put(dg[1], "three", 5);
  SHOW(recvmmsg(dg[0], mm, 4, MSG_DONTWAIT, NULL));
  for (int i = 0; i < 3; i++)
    sc_say("  msg %d len %u %.*s", i, mm[i].msg_len, (int)mm[i].msg_len, m[i]);
  SHOW(recvmmsg(dg[0], mm, 4, MSG_DONTWAIT, NULL));

  sc_put(sp[1], "read on socket", 14);
  SHOW_BUF(read(sp[0], buf, sc_opaque(4)), buf);
  struct iovec rv[2] = {{a, 2}, {b, sizeof b}};
  SHOW(readv(sp[0], rv, 2));
  sc_say("  readv %.2s|%.8s", a, b);

  close(sp[1]);
  SHOW(recv(sp[0], buf, sc_opaque(sizeof buf), 0));
  SHOW(read(sp[0], buf, sc_opaque(sizeof buf)));
  close(sp[0]);
  close(dg[0]);
  close(dg[1]);
  close(passed);
  close(p[0]);
  close(p[1]);
}

static void pipes_and_files(void) {
  char buf[64], a[4], b[8];
  int p[2];
  sc_pipe(p);
  sc_put(p[1], "through a pipe", 14);
  SHOW_BUF(read(p[0], buf, sc_opaque(7)), buf);
  struct iovec iov[2] = {{a, 4}, {b, 8}};
  SHOW(readv(p[0], iov, 2));
  sc_say("  readv %.4s|%.3s", a, b);
  fcntl(p[0], F_SETFL, O_NONBLOCK);
  SHOW(read(p[0], buf, sc_opaque(sizeof buf)));
  close(p[1]);
  SHOW(read(p[0], buf, sc_opaque(sizeof buf)));
  close(p[0]);

  int f = sc_regular_file("a regular file's words");
  SHOW_BUF(read(f, buf, sc_opaque(10)), buf);
  struct iovec fv[2] = {{a, 4}, {b, 8}};
  SHOW(readv(f, fv, 2));
  sc_say("  readv %.4s|%.8s", a, b);
  SHOW(read(f, buf, sc_opaque(sizeof buf)));
  SHOW(recv(f, buf, sc_opaque(sizeof buf), 0));
  close(f);
}

static void errors(void) {
  char buf[16];
  int sp[2];
  sc_socketpair(SOCK_STREAM, sp);
  SHOW(recv(-1, buf, sc_opaque(sizeof buf), 0));
  SHOW(recvfrom(1000, buf, sc_opaque(sizeof buf), 0, NULL, NULL));
  SHOW(read(-1, buf, sc_opaque(sizeof buf)));
  SHOW(readv(-1, NULL, 0));
  struct msghdr mh = {0};
  SHOW(recvmsg(-1, &mh, 0));
  SHOW(recvmmsg(-1, NULL, 1, 0, NULL));
  int dir = open("/", O_RDONLY | O_DIRECTORY);
  SHOW(read(dir, buf, sc_opaque(sizeof buf)));
  SHOW(recv(dir, buf, sc_opaque(sizeof buf), 0));
  close(dir);
  sc_put(sp[1], "efault", 6);
  SHOW(recv(sp[0], sc_bad_ptr(), 6, 0));
  SHOW(read(sp[0], sc_bad_ptr(), 6));
  SHOW_BUF(recv(sp[0], buf, sc_opaque(sizeof buf), 0), buf);
  struct iovec iov = {buf, sizeof buf};
  SHOW(readv(sp[0], &iov, (int)sc_opaque(-1)));
  SHOW(readv(sp[0], &iov, (int)sc_opaque(IOV_MAX + 1)));
  SHOW(recv(sp[0], buf, sc_opaque(sizeof buf), 0x7fffffff));
  int p[2];
  sc_pipe(p);
  SHOW(recv(p[0], buf, sc_opaque(sizeof buf), MSG_DONTWAIT));
  SHOW(read(p[1], buf, sc_opaque(sizeof buf)));
  SHOW(recvmsg(sp[0], sc_bad_ptr(), 0));
  close(p[0]);
  close(p[1]);
  close(sp[0]);
  close(sp[1]);
}

/* load K N: K calls of each kind, N bytes each; regular-file reads come on top and must not count.
 */
static int load(int k, int n) {
  if (k <= 0 || n <= 0)
    return 2;
  char *buf = malloc((size_t)n), *data = malloc((size_t)n);
  memset(data, 'z', n);
  int sp[2], dg[2], p[2];
  sc_socketpair(SOCK_STREAM, sp);
  sc_socketpair(SOCK_DGRAM, dg);
  sc_pipe(p);
  int f = sc_regular_file("the regular file is read k times, never recorded");
  long got = 0;
  for (int i = 0; i < k; i++) {
    sc_put(sp[1], data, n);
    got += recv(sp[0], buf, n, MSG_WAITALL);
    sc_put(sp[1], data, n);
    got += recvfrom(sp[0], buf, n, MSG_WAITALL, NULL, NULL);
    sc_put(sp[1], data, n);
    struct iovec iov = {buf, n};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    got += recvmsg(sp[0], &mh, MSG_WAITALL);
    sc_put(p[1], data, n);
    got += read(p[0], buf, n);
    sc_put(p[1], data, n);
    got += readv(p[0], &iov, 1);
    if (pread(f, buf, 1, 0) != 1 || read(f, buf, 1) != 1)
      sc_expect(0, "file read");
    struct iovec fv = {buf, 1};
    sc_expect(readv(f, &fv, 1) == 1, "file readv");
    lseek(f, 0, SEEK_SET);
  }
  struct mmsghdr *mm = calloc(k, sizeof *mm);
  struct iovec *mi = calloc(k, sizeof *mi);
  char *space = malloc((size_t)k * n);
  for (int i = 0; i < k; i++) {
    sc_put(dg[1], data, n);
    mi[i] = (struct iovec){space + (size_t)i * n, n};
    mm[i].msg_hdr.msg_iov = &mi[i];
    mm[i].msg_hdr.msg_iovlen = 1;
  }
  int msgs = recvmmsg(dg[0], mm, k, MSG_DONTWAIT, NULL);
  sc_expect(msgs == k, "recvmmsg got every datagram");
  sc_expect(got == 5L * k * n, "every read got its bytes");
  sc_say("load k=%d n=%d bytes=%ld msgs=%d", k, n, got, msgs);
  return sc_failures();
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "load") == 0)
    return load(atoi(argv[2]), atoi(argv[3]));
  static const struct sc_section sections[] = {
      {"sockets", sockets}, {"pipes and files", pipes_and_files}, {"errors", errors}, {0}};
  return sc_sections(sections);
}
