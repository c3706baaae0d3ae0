/* Scenario for two threads vforking at once: the second parent resumes and recvs while the
 * first child still waits to exec; and for a vfork child that ends with exit(). */
#define _GNU_SOURCE
#include "scenario.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define AFTER 200 /* enough for the parent to claim fresh chunks after both children */

static char self[4096];
static int ready[2], go[2], sp[2];

/* Thread A: its vfork child tells it is up, then waits for the go before it execs. */
static void *first_vforker(void *arg) {
  (void)arg;
  char *args[] = {"sc_vfork_threads", "child", NULL};
  pid_t pid = vfork();
  if (pid == 0) {
    char c;
    if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
      _exit(98);
    execve(self, args, environ);
    _exit(127);
  }
  int status = -1;
  while (pid > 0 && waitpid(pid, &status, 0) < 0)
    ;
  return (void *)(long)(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "child") == 0)
    return 0;
  if (argc == 2 && strcmp(argv[1], "exit") == 0) {
    /* exit() runs the exit handlers, the shim's among them, on the parent's memory */
    sc_socketpair(SOCK_STREAM, sp);
    sc_expect(sc_recv_each(sp, 3) == 3, "parent before");
    pid_t pid = vfork();
    if (pid == 0)
      exit(0);
    sc_reap(pid);
    sc_expect(sc_recv_each(sp, AFTER + 1) == AFTER + 1, "parent after");
    sc_say("parent %d", (int)getpid());
    return sc_failures();
  }
  ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
  if (len <= 0)
    return 99;
  self[len] = 0;
  sc_socketpair(SOCK_STREAM, sp);
  sc_pipe(ready);
  sc_pipe(go);
  sc_expect(sc_recv_each(sp, 3) == 3, "parent before");
  pthread_t a;
  sc_expect(pthread_create(&a, NULL, first_vforker, NULL) == 0, "thread A");
  char c;
  sc_expect(read(ready[0], &c, 1) == 1, "A's vfork child is up");
  /* thread B (this one): a vfork whose child ends at once; then a traced call as its parent */
  pid_t pid = vfork();
  if (pid == 0)
    _exit(0);
  sc_reap(pid);
  sc_expect(sc_recv_each(sp, 1) == 1, "B after its vfork");
  sc_put(go[1], "g", 1);
  void *ok = NULL;
  pthread_join(a, &ok);
  sc_expect(ok != NULL, "A's child exec'd and exited 0");
  sc_expect(sc_recv_each(sp, AFTER) == AFTER, "parent after");
  sc_say("parent %d", (int)getpid());
  return sc_failures();
}
