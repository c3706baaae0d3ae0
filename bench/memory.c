/* Resident memory of a traced process: T threads each make K polls, RSS printed at checkpoints. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * At each checkpoint every thread has made that many calls and waits on a
 * barrier while the main thread reads /proc/self/status, so the RSS is taken
 * with all threads alive and idle.  One poll on a ready fd is one event: the
 * trace of a run holds threads * last checkpoint poll events.
 */
#define MAX_CHECKPOINTS 16

static long checkpoints[MAX_CHECKPOINTS];
static int ncheckpoints;
static pthread_barrier_t reached, resume;

static void die(const char *what) {
  fprintf(stderr, "bench_memory: %s: %s\n", what, strerror(errno));
  exit(1);
}

/* VmRSS and its anonymous and file parts, in KiB. */
static void print_rss(long calls) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f)
    die("/proc/self/status");
  char line[256];
  long rss = -1, anon = -1, file = -1, shmem = -1;
  while (fgets(line, sizeof line, f)) {
    sscanf(line, "VmRSS: %ld", &rss);
    sscanf(line, "RssAnon: %ld", &anon);
    sscanf(line, "RssFile: %ld", &file);
    sscanf(line, "RssShmem: %ld", &shmem);
  }
  fclose(f);
  printf("calls=%ld rss_kb=%ld anon_kb=%ld file_kb=%ld shmem_kb=%ld\n", calls, rss, anon, file,
         shmem);
  fflush(stdout);
}

static void *worker(void *arg) {
  (void)arg;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0 || write(sv[0], "x", 1) != 1)
    die("socketpair");
  long made = 0;
  for (int i = 0; i < ncheckpoints; i++) {
    for (; made < checkpoints[i]; made++) {
      struct pollfd p = {.fd = sv[1], .events = POLLIN};
      if (poll(&p, 1, 0) != 1)
        die("poll");
    }
    pthread_barrier_wait(&reached);
    pthread_barrier_wait(&resume);
  }
  close(sv[0]), close(sv[1]);
  return NULL;
}

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 0, bad = argc < 3 || argc - 2 > MAX_CHECKPOINTS;
  for (int i = 2; i < argc && !bad; i++) {
    long k = atol(argv[i]);
    bad = k < 0 || (ncheckpoints && k < checkpoints[ncheckpoints - 1]);
    checkpoints[ncheckpoints++] = k;
  }
  if (threads < 1 || threads > 1024 || bad) {
    fprintf(stderr, "usage: bench_memory THREADS CALLS [CALLS...]  (ascending calls per thread)\n"
                    "prints, per checkpoint: calls=K rss_kb= anon_kb= file_kb= shmem_kb=\n");
    return 2;
  }
  print_rss(0); /* before any thread: the baseline of this run */
  pthread_barrier_init(&reached, NULL, (unsigned)threads + 1);
  pthread_barrier_init(&resume, NULL, (unsigned)threads + 1);
  pthread_t *tids = calloc((size_t)threads, sizeof *tids);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 64 * 1024); /* small stacks: the shim's part stands out */
  for (int i = 0; i < threads; i++)
    if (pthread_create(&tids[i], &attr, worker, NULL) != 0)
      die("pthread_create");
  for (int i = 0; i < ncheckpoints; i++) {
    pthread_barrier_wait(&reached);
    print_rss(checkpoints[i]);
    pthread_barrier_wait(&resume);
  }
  for (int i = 0; i < threads; i++)
    pthread_join(tids[i], NULL);
  free(tids);
  return 0;
}
