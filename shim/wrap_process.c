/* fork, exec and posix_spawn: a file per process, none touched by a vfork child, and LD_PRELOAD
 * with the IOTRACE_* settings carried into every new image. */
#define _GNU_SOURCE
#include <spawn.h>
#include <stdarg.h>
#include <unistd.h>

#include "iot_shim.h"
#include "real.h"

extern char **environ;

IOT_EXPORT pid_t _Fork(void) {
  pid_t pid = IOT_REAL(_Fork)();
  int err = errno;
  if (pid == 0)
    iot_after_fork_child();
  else if (pid > 0)
    iot_fd_forked();
  errno = err;
  return pid;
}

/* The file of the image being replaced is marked so; if the exec fails, it goes on. */
static void iot_before_exec(void) {
  if (!iot_in_vfork_child()) {
    iot_identity_settle(1);
    iot_writer_close(1);
  }
}

static void iot_after_failed_exec(struct iot_env_scratch *s) {
  int err = errno;
  if (!iot_in_vfork_child())
    iot_writer_reopen_after_exec();
  iot_env_free(s);
  errno = err;
}

/* In a vfork child the scratch is handed to the parent thread, which frees it when it resumes;
 * an exec that fails takes it back. */
#define IOT_EXEC_WITH_ENV(envp, call)                                                              \
  struct iot_env_scratch s_;                                                                       \
  char *const *env = iot_env_for_exec((envp), &s_);                                                \
  if (iot_in_vfork_child())                                                                        \
    iot_vfork_scratch = s_;                                                                        \
  iot_before_exec();                                                                               \
  int ret = (call);                                                                                \
  if (iot_in_vfork_child())                                                                        \
    iot_vfork_scratch.base = NULL;                                                                 \
  iot_after_failed_exec(&s_);                                                                      \
  return ret

IOT_EXPORT int execve(const char *path, char *const argv[], char *const envp[]) {
  IOT_EXEC_WITH_ENV(envp, IOT_REAL(execve)(path, argv, env));
}

IOT_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[]) {
  IOT_EXEC_WITH_ENV(envp, IOT_REAL(execvpe)(file, argv, env));
}

IOT_EXPORT int fexecve(int fd, char *const argv[], char *const envp[]) {
  IOT_EXEC_WITH_ENV(envp, IOT_REAL(fexecve)(fd, argv, env));
}

IOT_EXPORT int execv(const char *path, char *const argv[]) {
  return execve(path, argv, environ);
}

IOT_EXPORT int execvp(const char *file, char *const argv[]) {
  return execvpe(file, argv, environ);
}

/* execl, execlp, execle: the variadic arguments gathered on the stack, as libc does. */
#define IOT_GATHER_ARGS(first, ap, argv)                                                           \
  size_t argc_ = 1;                                                                                \
  va_start(ap, first);                                                                             \
  while (va_arg(ap, const char *))                                                                 \
    argc_++;                                                                                       \
  va_end(ap);                                                                                      \
  char *argv[argc_ + 1];                                                                           \
  argv[0] = (char *)(first);                                                                       \
  va_start(ap, first);                                                                             \
  for (size_t i_ = 1; i_ <= argc_; i_++)                                                           \
    argv[i_] = va_arg(ap, char *);

IOT_EXPORT int execl(const char *path, const char *arg, ...) {
  va_list ap;
  IOT_GATHER_ARGS(arg, ap, argv);
  va_end(ap);
  return execve(path, argv, environ);
}

IOT_EXPORT int execlp(const char *file, const char *arg, ...) {
  va_list ap;
  IOT_GATHER_ARGS(arg, ap, argv);
  va_end(ap);
  return execvpe(file, argv, environ);
}

IOT_EXPORT int execle(const char *path, const char *arg, ...) {
  va_list ap;
  IOT_GATHER_ARGS(arg, ap, argv);
  char *const *envp = va_arg(ap, char *const *);
  va_end(ap);
  return execve(path, argv, envp);
}

/* posix_spawn returns once the child has exec'd, so the environment built for it can go then. */
IOT_EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
                           const posix_spawnattr_t *attr, char *const argv[], char *const envp[]) {
  struct iot_env_scratch s;
  char *const *env = iot_env_for_exec(envp, &s);
  int ret = IOT_REAL(posix_spawn)(pid, path, fa, attr, argv, env);
  iot_env_free(&s);
  return ret;
}

IOT_EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
                            const posix_spawnattr_t *attr, char *const argv[], char *const envp[]) {
  struct iot_env_scratch s;
  char *const *env = iot_env_for_exec(envp, &s);
  int ret = IOT_REAL(posix_spawnp)(pid, file, fa, attr, argv, env);
  iot_env_free(&s);
  return ret;
}
