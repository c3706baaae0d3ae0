/* Scenario for threads: T threads, each recvs N single bytes on its own socketpair. */
#define _GNU_SOURCE
#include "scenario.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static int per_thread;

static void *reader(void *arg) {
  int fd = (int)(long)arg;
  long ok = 0;
  char c;
  for (int i = 0; i < per_thread; i++)
    ok += recv(fd, &c, 1, 0) == 1;
  return (void *)ok;
}

int main(int argc, char **argv) {
  if (argc != 3)
    return 2;
  int threads = atoi(argv[1]);
  per_thread = atoi(argv[2]);
  pthread_t *t = calloc(threads, sizeof *t);
  char *data = calloc(per_thread, 1);
  long total = 0;
  for (int i = 0; i < threads; i++) {
    int sp[2];
    sc_socketpair(SOCK_STREAM, sp);
    sc_put(sp[1], data, per_thread);
    pthread_create(&t[i], NULL, reader, (void *)(long)sp[0]);
  }
  for (int i = 0; i < threads; i++) {
    void *ok;
    pthread_join(t[i], &ok);
    total += (long)ok;
  }
  sc_expect(total == (long)threads * per_thread, "every recv got its byte");
  sc_say("threads=%d recvs=%ld", threads, total);
  return sc_failures();
}
