/* Scenario for the environment passed to exec and posix_spawn: a large one from a thread with a
 * minimal stack, and bad envp pointers the kernel answers with EFAULT. */
#define _GNU_SOURCE
#include "scenario.h"

#include <limits.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define NVARS 400

static char self[4096];
static char *big_env[NVARS + 1];
static char big_text[NVARS][40];

static int spawned_status(pid_t pid) {
  int status = -1;
  while (waitpid(pid, &status, 0) < 0)
    ;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void put(const char *s) {
  sc_put(1, s, strlen(s));
}

/* Runs on a PTHREAD_STACK_MIN stack: no stdio, nothing large of its own. */
static void *small_stack_thread(void *arg) {
  char *spawn_args[] = {"sc_exec_env", "child", NULL};
  pid_t pid;
  int r = posix_spawn(&pid, self, NULL, NULL, spawn_args, big_env);
  put(r == 0 && spawned_status(pid) == 0 ? "spawned from a small stack: exit 0\n"
                                         : "spawn from a small stack failed\n");
  if (arg) {
    char *exec_args[] = {"sc_exec_env", "last", NULL};
    execve(self, exec_args, big_env);
    put("execve from a small stack failed\n");
  }
  return NULL;
}

static void small_stack(int then_exec) {
  pthread_attr_t attr;
  pthread_t t;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, PTHREAD_STACK_MIN);
  sc_expect(pthread_create(&t, &attr, small_stack_thread, then_exec ? &attr : NULL) == 0, "thread");
  pthread_join(t, NULL);
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "child") == 0)
    return 0;
  if (argc == 2 && strcmp(argv[1], "last") == 0) {
    int n = 0;
    for (char **e = environ; *e; e++)
      n += strncmp(*e, "SC_VAR_", 7) == 0;
    sc_say("the last image has %d of the %d variables", n, NVARS);
    return 0;
  }
  if (argc != 2)
    return 2;
  ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
  if (len <= 0)
    return 99;
  self[len] = 0;
  for (int i = 0; i < NVARS; i++) {
    snprintf(big_text[i], sizeof big_text[i], "SC_VAR_%03d=some value of variable %d", i, i);
    big_env[i] = big_text[i];
  }
  if (strcmp(argv[1], "bad") == 0) {
    char *args[] = {"sc_exec_env", "child", NULL};
    char *bad_entry[] = {sc_bad_ptr(), NULL};
    SHOW(execve(self, args, sc_bad_ptr()));
    SHOW(execve(self, args, bad_entry));
    SHOW(execle(self, "sc_exec_env", "child", (char *)NULL, bad_entry));
    pid_t pid;
    SHOW(posix_spawn(&pid, self, NULL, NULL, args, sc_bad_ptr()));
    SHOW(posix_spawnp(&pid, self, NULL, NULL, args, bad_entry));
  } else {
    small_stack(0);
    small_stack(1);
  }
  return sc_failures();
}
