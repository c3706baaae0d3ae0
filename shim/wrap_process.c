/* fork, vfork, exec and posix_spawn: a file per process, nothing recorded in a vfork child,
 * and LD_PRELOAD with the IOTRACE_* settings carried into every new image. */
#define _GNU_SOURCE
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iot_shim.h"
#include "real.h"

extern char **environ;

/*
 * vfork: the child runs on the parent's memory and stack until it execs or
 * exits, so the hook cannot be an ordinary function that returns twice.  The
 * trampoline notes that a vfork is under way and jumps to the real vfork with
 * the caller's return address untouched.  While the note is up, a hooked call
 * from a thread whose kernel tid differs from the tid the shim cached for it
 * is the child's, and passes straight through.
 */
__attribute__((used)) static void iot_vfork_prepare(void) {
  if (iot_self.tid == 0 || iot_self.gen != iot_gen) {
    iot_self.tid = (uint32_t)iot_gettid();
  }
  if (!iot_real_vfork) /* vfork may always be replaced by fork */
    iot_real_vfork = (void (*)(void))IOT_REAL(fork);
  iot_vfork_parent = (pid_t)iot_self.tid;
  iot_vfork_pending = 1;
}

#if defined(__x86_64__)
__asm__(".pushsection .text\n"
        ".globl vfork\n"
        ".type vfork, @function\n"
        "vfork:\n"
        "  sub $8, %rsp\n" /* keep the stack 16-byte aligned for the C call */
        "  call iot_vfork_prepare\n"
        "  add $8, %rsp\n"
        "  jmp *iot_real_vfork(%rip)\n"
        ".size vfork, .-vfork\n"
        ".popsection\n");
#endif

/* Called while a vfork is under way: 1 in the child; clears the note once the parent resumes. */
int iot_vfork_slow(void) {
  if (iot_self.tid == 0)
    return 0; /* a thread that never recorded: the vfork caller always has its tid cached */
  pid_t t = iot_gettid();
  if (t != (pid_t)iot_self.tid)
    return 1;
  if (t == iot_vfork_parent)
    iot_vfork_pending = 0;
  return 0;
}

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

/* Saved at start: the program may change its environment before it execs. */
static const char *const iot_carried[] = {"IOTRACE_OUTPUT", "IOTRACE_STACK", "IOTRACE_SPLIT",
                                          "IOTRACE_MAX_SIZE", "IOTRACE_RAW_SYSCALLS"};
#define IOT_NCARRIED (sizeof iot_carried / sizeof iot_carried[0])

static int iot_has_var(char *const envp[], const char *name, const char **value) {
  size_t l = strlen(name);
  for (char *const *e = envp; e && *e; e++)
    if (strncmp(*e, name, l) == 0 && (*e)[l] == '=') {
      if (value)
        *value = *e + l + 1;
      return 1;
    }
  return 0;
}

static char iot_saved_env[IOT_NCARRIED][4400];

/* Copies the IOTRACE_* settings at start, before the program can change its environment. */
void iot_exec_init(void) {
  for (size_t i = 0; i < IOT_NCARRIED; i++) {
    const char *v = getenv(iot_carried[i]);
    if (v)
      snprintf(iot_saved_env[i], sizeof iot_saved_env[i], "%s=%s", iot_carried[i], v);
  }
}

/*
 * Builds in `out` (room for n+1+IOT_NCARRIED+1 pointers) an environment like envp, with the
 * shim in LD_PRELOAD and the IOTRACE_* settings this process started with.  `buf` holds the
 * string made; nothing is allocated or written outside the caller's stack, so this is safe in a
 * vfork child.
 */
static char **iot_fix_env(char *const envp[], char **out, char *buf, size_t bufcap) {
  size_t n = 0;
  const char *preload = NULL;
  int have_preload = iot_has_var(envp, "LD_PRELOAD", &preload);
  int shim_listed =
      have_preload && iot_config.shim_path[0] && strstr(preload, iot_config.shim_path) != NULL;
  for (char *const *e = envp; e && *e; e++) {
    if (strncmp(*e, "LD_PRELOAD=", 11) == 0 && !shim_listed)
      continue;
    out[n++] = *e;
  }
  if (!shim_listed && iot_config.shim_path[0]) {
    int l = snprintf(buf, bufcap, "LD_PRELOAD=%s%s%s", iot_config.shim_path,
                     have_preload && *preload ? ":" : "", have_preload ? preload : "");
    if (l > 0 && (size_t)l < bufcap)
      out[n++] = buf;
  }
  for (size_t i = 0; i < IOT_NCARRIED; i++)
    if (iot_saved_env[i][0] && !iot_has_var(envp, iot_carried[i], NULL))
      out[n++] = iot_saved_env[i];
  out[n] = NULL;
  return out;
}

static size_t iot_env_count(char *const envp[]) {
  size_t n = 0;
  while (envp && envp[n])
    n++;
  return n;
}

#define IOT_ENV_FIXED(envp, fixed)                                                                 \
  char *fixed##_slots[iot_env_count(envp) + IOT_NCARRIED + 2];                                     \
  char fixed##_buf[8192];                                                                          \
  char **fixed = iot_fix_env((envp), fixed##_slots, fixed##_buf, sizeof fixed##_buf)

/* The file of the image being replaced is marked so; if the exec fails, it goes on. */
static void iot_before_exec(void) {
  if (!iot_in_vfork_child())
    iot_writer_close(1);
}
static void iot_after_failed_exec(void) {
  if (!iot_in_vfork_child()) {
    int err = errno;
    iot_writer_reopen_after_exec();
    errno = err;
  }
}

IOT_EXPORT int execve(const char *path, char *const argv[], char *const envp[]) {
  IOT_ENV_FIXED(envp, env);
  iot_before_exec();
  int ret = IOT_REAL(execve)(path, argv, env);
  iot_after_failed_exec();
  return ret;
}

IOT_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[]) {
  IOT_ENV_FIXED(envp, env);
  iot_before_exec();
  int ret = IOT_REAL(execvpe)(file, argv, env);
  iot_after_failed_exec();
  return ret;
}

IOT_EXPORT int fexecve(int fd, char *const argv[], char *const envp[]) {
  IOT_ENV_FIXED(envp, env);
  iot_before_exec();
  int ret = IOT_REAL(fexecve)(fd, argv, env);
  iot_after_failed_exec();
  return ret;
}

IOT_EXPORT int execv(const char *path, char *const argv[]) {
  return execve(path, argv, environ);
}

IOT_EXPORT int execvp(const char *file, char *const argv[]) {
  return execvpe(file, argv, environ);
}

/* execl, execlp, execle: the variadic arguments gathered into an argv on the stack. */
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

IOT_EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
                           const posix_spawnattr_t *attr, char *const argv[], char *const envp[]) {
  IOT_ENV_FIXED(envp, env);
  return IOT_REAL(posix_spawn)(pid, path, fa, attr, argv, env);
}

IOT_EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
                            const posix_spawnattr_t *attr, char *const argv[], char *const envp[]) {
  IOT_ENV_FIXED(envp, env);
  return IOT_REAL(posix_spawnp)(pid, file, fa, attr, argv, env);
}
