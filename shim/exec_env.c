/* The environment an exec or spawn passes on: the program's own, with the shim and its settings
 * added when missing, built without copying it onto the caller's stack. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "iot_shim.h"

/* Saved at start: the program may change its environment before it execs. */
static const char *const iot_carried[] = {"IOTRACE_OUTPUT", "IOTRACE_STACK", "IOTRACE_SPLIT",
                                          "IOTRACE_MAX_SIZE", "IOTRACE_RAW_SYSCALLS", "IOTRACE_LOG"};
#define IOT_NCARRIED (sizeof iot_carried / sizeof iot_carried[0])
static char iot_saved_env[IOT_NCARRIED][4400];

void iot_exec_init(void) {
  for (size_t i = 0; i < IOT_NCARRIED; i++) {
    const char *v = iot_setting(iot_carried[i]); /* a setuid program carries none of them */
    if (v)
      snprintf(iot_saved_env[i], sizeof iot_saved_env[i], "%s=%s", iot_carried[i], v);
  }
}

/*
 * The program's envp is read only where the kernel could read it: a bad pointer must reach the
 * kernel, which answers EFAULT, rather than crash the shim.  Pages are probed once each with
 * process_vm_readv, which fails instead of faulting; an environment sits on a few pages.
 */
struct iot_pages {
  pid_t pid;
  unsigned n;
  uintptr_t ok[8];
};

static int iot_page_ok(struct iot_pages *pg, uintptr_t addr) {
  uintptr_t page = addr & ~(uintptr_t)(IOT_PAGE_SIZE - 1);
  for (unsigned i = 0; i < 8 && i < pg->n; i++)
    if (pg->ok[i] == page)
      return 1;
  char byte;
  struct iovec local = {&byte, 1}, remote = {(void *)page, 1};
  if (syscall(SYS_process_vm_readv, pg->pid, &local, 1, &remote, 1, 0) != 1)
    return 0;
  pg->ok[pg->n++ & 7] = page;
  return 1;
}

/* The length of a string the program passed, or -1 if some byte of it cannot be read. */
static long iot_safe_strlen(struct iot_pages *pg, const char *s) {
  for (const char *p = s;; p++) {
    if ((p == s || ((uintptr_t)p & (IOT_PAGE_SIZE - 1)) == 0) && !iot_page_ok(pg, (uintptr_t)p))
      return -1;
    if (!*p)
      return p - s;
  }
}

static int iot_is_var(const char *entry, const char *name) {
  size_t l = strlen(name);
  return strncmp(entry, name, l) == 0 && entry[l] == '=';
}

/* What an environment lacks: found by one checked pass over it. */
struct iot_env_plan {
  size_t n;
  const char *preload; /* the value of the first LD_PRELOAD, or NULL */
  int need_preload;    /* the shim is not in LD_PRELOAD */
  int need[IOT_NCARRIED];
  int needs_any;
};

static int iot_env_plan(char *const envp[], struct iot_env_plan *plan) {
  memset(plan, 0, sizeof *plan);
  int present[IOT_NCARRIED] = {0}, listed = 0;
  if (envp) {
    struct iot_pages pg = {.pid = getpid()};
    for (size_t i = 0;; i++) {
      uintptr_t slot = (uintptr_t)&envp[i];
      if (!iot_page_ok(&pg, slot) || !iot_page_ok(&pg, slot + sizeof envp[i] - 1))
        return -1;
      const char *e = envp[i];
      if (!e) {
        plan->n = i;
        break;
      }
      if (iot_safe_strlen(&pg, e) < 0)
        return -1;
      if (iot_is_var(e, "LD_PRELOAD") && !plan->preload) {
        plan->preload = e + 11;
        listed = iot_config.shim_path[0] && strstr(plan->preload, iot_config.shim_path);
      }
      for (size_t k = 0; k < IOT_NCARRIED; k++)
        present[k] |= iot_is_var(e, iot_carried[k]);
    }
  }
  plan->need_preload = iot_config.shim_path[0] && !listed;
  plan->needs_any = plan->need_preload;
  for (size_t k = 0; k < IOT_NCARRIED; k++) {
    plan->need[k] = iot_saved_env[k][0] && !present[k];
    plan->needs_any |= plan->need[k];
  }
  return 0;
}

void iot_env_free(struct iot_env_scratch *s) {
  if (s->base) {
    int saved = errno;
    munmap(s->base, s->len);
    errno = saved;
  }
  s->base = NULL;
  s->len = 0;
}

/*
 * envp itself when it already carries the shim and its settings, when it cannot be read (the
 * kernel will say EFAULT), when a seccomp filter may forbid the system calls needed to build
 * another, or when memory for one cannot be had; otherwise a new environment in fresh pages
 * that s owns, to be given back with iot_env_free if the exec fails or once the spawn returns.
 */
char *const *iot_env_for_exec(char *const envp[], struct iot_env_scratch *s) {
  s->base = NULL;
  s->len = 0;
  struct iot_env_plan plan;
  if (iot_sandboxed || iot_env_plan(envp, &plan) != 0 || !plan.needs_any)
    return envp;
  int saved = errno;
  size_t slots = plan.n + 1 + IOT_NCARRIED + 1;
  size_t text = plan.need_preload
                    ? 13 + strlen(iot_config.shim_path) + (plan.preload ? strlen(plan.preload) : 0)
                    : 0;
  size_t len = (slots * sizeof(char *) + text + IOT_PAGE_SIZE - 1) & ~(size_t)(IOT_PAGE_SIZE - 1);
  void *base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  errno = saved;
  if (base == MAP_FAILED)
    return envp;
  char **out = base, *buf = (char *)base + slots * sizeof(char *);
  size_t n = 0;
  for (size_t i = 0; i < plan.n; i++)
    if (!(plan.need_preload && iot_is_var(envp[i], "LD_PRELOAD")))
      out[n++] = envp[i];
  if (plan.need_preload) {
    const char *old = plan.preload ? plan.preload : "";
    snprintf(buf, text, "LD_PRELOAD=%s%s%s", iot_config.shim_path, *old ? ":" : "", old);
    out[n++] = buf;
  }
  for (size_t k = 0; k < IOT_NCARRIED; k++)
    if (plan.need[k])
      out[n++] = iot_saved_env[k];
  out[n] = NULL;
  s->base = base;
  s->len = len;
  return out;
}
