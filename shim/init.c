/* The shim's start and end: configuration from IOTRACE_*, the constructor, fork and exit. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "iot_shim.h"
#include "real.h"

struct iot_config iot_config;
int iot_ready;
volatile uint32_t iot_gen = 1;

#define IOT_DEFAULT_MAX_MIB 1024u

/* In a setuid or setgid program the user's environment must not steer the shim, as glibc ignores
 * LD_* there: every IOTRACE_* reads as unset (and the writer does not trace at all).  Every
 * setting the shim reads comes through here. */
const char *iot_setting(const char *name) {
  return getauxval(AT_SECURE) ? NULL : getenv(name);
}

static unsigned long iot_env_number(const char *name, unsigned long dflt, unsigned long max) {
  const char *v = iot_setting(name);
  if (!v || !*v)
    return dflt;
  char *end;
  unsigned long n = strtoul(v, &end, 10);
  if (*end) {
    iot_say("%s is not a number; using the default", name);
    return dflt;
  }
  return n > max ? max : n;
}

static void iot_read_config(void) {
  iot_config.stack_depth = (uint32_t)iot_env_number("IOTRACE_STACK", 0, IOT_MAX_STACK_FRAMES);
  iot_config.split = iot_env_number("IOTRACE_SPLIT", 0, 1) != 0;
  uint64_t mib = iot_env_number("IOTRACE_MAX_SIZE", IOT_DEFAULT_MAX_MIB, 1u << 20);
  if (mib < 1)
    mib = 1;
  iot_config.max_bytes = mib << 20;

  /* The output path is made absolute now: daemons chdir("/") later. */
  const char *out = iot_setting("IOTRACE_OUTPUT");
  if (!out || !*out)
    out = "iotrace.%p.trace";
  char cwd[PATH_MAX];
  if (out[0] != '/' && getcwd(cwd, sizeof cwd))
    snprintf(iot_config.output, sizeof iot_config.output, "%s/%s", cwd, out);
  else
    snprintf(iot_config.output, sizeof iot_config.output, "%s", out);

  Dl_info info;
  if (dladdr((void *)iot_read_config, &info) && info.dli_fname) {
    char real[PATH_MAX];
    const char *p = realpath(info.dli_fname, real) ? real : info.dli_fname;
    snprintf(iot_config.shim_path, sizeof iot_config.shim_path, "%s", p);
  }
}

static void iot_after_fork_parent(void) {
  int saved_errno = errno;
  iot_fd_forked();
  errno = saved_errno;
}

/* A forked child: a file of its own, and nothing more written into the parent's. */
void iot_after_fork_child(void) {
  iot_self.busy = 0; /* fork was called by the program, never from inside the shim */
  iot_become_new_process(1);
}

void iot_init(void) {
  if (iot_ready)
    return;
  int saved_errno = errno; /* the program must not see the shim's start-up in errno */
  iot_self.busy++;
  iot_real_resolve_all();
  iot_identity_init();
  iot_read_config();
  iot_exec_init();
  iot_blocked_init();
  iot_clock_init();
  iot_fdtab_init();
  if (iot_config.stack_depth && iot_stack_init(iot_config.stack_depth) != 0)
    iot_config.stack_depth = 0;
  if (iot_writer_open() == 0)
    iot_tracing = 1;
  pthread_atfork(iot_fd_fork_prepare, iot_after_fork_parent, iot_after_fork_child);
  iot_ready = 1;
  iot_self.busy--;
  errno = saved_errno;
}

__attribute__((constructor)) static void iot_constructor(void) {
  iot_init();
}

__attribute__((destructor)) static void iot_destructor(void) {
  if (iot_in_vfork_child())
    return; /* a vfork child that calls exit(): the file is its parent's */
  int saved_errno = errno;
  iot_identity_settle(0); /* a clone child that calls exit(): same, unless it has its own */
  iot_tracing = 0;
  iot_writer_close(0);
  errno = saved_errno;
}
