/* Scenario for blocked detection: recvs that wait for late data, recvs with data there, EAGAIN
 * recvs. */
#define _GNU_SOURCE
#include "scenario.h"

#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static sem_t go;
static int writer_fd, rounds, delay_ms;

/* Sends one byte delay_ms after each go: waits on a semaphore, so it makes no traced call itself.
 */
static void *late_writer(void *arg) {
  (void)arg;
  for (int i = 0; i < rounds; i++) {
    while (sem_wait(&go) != 0)
      ;
    sc_sleep_ms(delay_ms);
    sc_put(writer_fd, "w", 1);
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 4)
    return 2;
  int n = atoi(argv[2]);
  int sp[2];
  sc_socketpair(SOCK_STREAM, sp);
  char c;
  long ok = 0, t0 = sc_now_ms();
  if (strcmp(argv[1], "wait") == 0) {
    pthread_t t;
    writer_fd = sp[1];
    rounds = n;
    delay_ms = atoi(argv[3]);
    sem_init(&go, 0, 0);
    pthread_create(&t, NULL, late_writer, NULL);
    for (int i = 0; i < n; i++) {
      sem_post(&go);
      ok += recv(sp[0], &c, 1, 0) == 1;
    }
    pthread_join(t, NULL);
    sc_expect(sc_now_ms() - t0 >= (long)n * delay_ms, "each recv waited");
  } else if (strcmp(argv[1], "ready") == 0) {
    static char batch[1000]; /* refilled a batch at a time: n can be larger than a socket buffer */
    for (int i = 0; i < n; i++) {
      if (i % (int)sizeof batch == 0)
        sc_put(sp[1], batch, n - i < (int)sizeof batch ? n - i : (int)sizeof batch);
      ok += recv(sp[0], &c, 1, 0) == 1;
    }
  } else if (strcmp(argv[1], "eagain") == 0) {
    fcntl(sp[0], F_SETFL, O_NONBLOCK);
    for (int i = 0; i < n; i++)
      ok += recv(sp[0], &c, 1, 0) < 0 && errno == EAGAIN;
  } else {
    return 2;
  }
  sc_expect(ok == n, "every recv did what the mode says");
  sc_say("%s n=%d ok=%ld", argv[1], n, ok);
  return sc_failures();
}
