/* The run command: runs a program under the shim, then summarises the trace files it wrote. */
#include <errno.h>
#include <dirent.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmds.h"
#include "elfcheck.h"

#ifndef IOTV_INSTALL_LIBDIR
#define IOTV_INSTALL_LIBDIR "lib"
#endif

/* The shim next to this binary (build tree), or in the library directory of its install. */
static int find_shim(char *out, size_t len) {
  static const char *const rel[] = {"libiotrace.so", "../" IOTV_INSTALL_LIBDIR "/libiotrace.so",
                                    "../lib/libiotrace.so"};
  char self[PATH_MAX], *slash;
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  size_t i;
  if (n <= 0)
    return -1;
  self[n] = '\0';
  slash = strrchr(self, '/');
  if (!slash)
    return -1;
  *slash = '\0';
  for (i = 0; i < sizeof rel / sizeof rel[0]; i++) {
    char cand[PATH_MAX * 2];
    snprintf(cand, sizeof cand, "%s/%s", self, rel[i]);
    if (access(cand, R_OK) == 0 && realpath(cand, out) && strlen(out) < len)
      return 0;
  }
  return -1;
}

/* The program execvp would run: a name with a slash as is, else the first match on PATH. */
static int resolve(const char *cmd, char *out, size_t len) {
  const char *path = getenv("PATH"), *p;
  if (strchr(cmd, '/')) {
    snprintf(out, len, "%s", cmd);
    return access(out, X_OK);
  }
  for (p = path ? path : "/usr/bin:/bin"; *p;) {
    size_t k = strcspn(p, ":");
    snprintf(out, len, "%.*s/%s", (int)(k ? k : 1), k ? p : ".", cmd);
    if (access(out, X_OK) == 0)
      return 0;
    p += k + (p[k] == ':');
  }
  return -1;
}

/* The trace files already in dir and their modification times, to tell the new ones apart. */
struct snapshot {
  char **names;
  struct timespec *mtimes;
  size_t n;
};

static int trace_name(const char *name) {
  size_t n = strlen(name);
  return strncmp(name, "iotrace.", 8) == 0 && n > 14 && strcmp(name + n - 6, ".trace") == 0;
}

static int mtime_of(const char *dir, const char *name, struct timespec *ts) {
  char p[PATH_MAX];
  struct stat st;
  snprintf(p, sizeof p, "%s/%s", dir, name);
  if (stat(p, &st) < 0 || !S_ISREG(st.st_mode))
    return -1;
  *ts = st.st_mtim;
  return 0;
}

static void take_snapshot(struct snapshot *s, const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *de;
  memset(s, 0, sizeof *s);
  while (d && (de = readdir(d)) != NULL) {
    char **nn;
    struct timespec *mm, ts;
    if (!trace_name(de->d_name) || mtime_of(dir, de->d_name, &ts) < 0)
      continue;
    nn = realloc(s->names, (s->n + 1) * sizeof *nn);
    if (nn)
      s->names = nn;
    mm = realloc(s->mtimes, (s->n + 1) * sizeof *mm);
    if (mm)
      s->mtimes = mm;
    if (!nn || !mm || !(s->names[s->n] = strdup(de->d_name)))
      break;
    s->mtimes[s->n++] = ts;
  }
  if (d)
    closedir(d);
}

/* Written by this run: absent from the snapshot, or modified since it was taken. */
static int is_new_trace(const struct snapshot *s, const char *dir, const char *name) {
  struct timespec ts;
  size_t i;
  if (!trace_name(name) || mtime_of(dir, name, &ts) < 0)
    return 0;
  for (i = 0; i < s->n; i++)
    if (strcmp(s->names[i], name) == 0)
      return ts.tv_sec != s->mtimes[i].tv_sec || ts.tv_nsec != s->mtimes[i].tv_nsec;
  return 1;
}

static void free_snapshot(struct snapshot *s) {
  size_t i;
  for (i = 0; i < s->n; i++)
    free(s->names[i]);
  free(s->names);
  free(s->mtimes);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Summary of the traces written since the program started. */
static int summarise(const char *dir, const struct snapshot *before) {
  DIR *d = opendir(dir);
  struct dirent *de;
  char **files = NULL, *args[2] = {"summary", NULL};
  size_t n = 0, i;
  int status;
  if (!d) {
    fprintf(stderr, "iotrace run: %s: %s\n", dir, strerror(errno));
    return IOTV_EXIT_INPUT;
  }
  while ((de = readdir(d)) != NULL) {
    char **f;
    if (!is_new_trace(before, dir, de->d_name))
      continue;
    f = realloc(files, (n + 2) * sizeof *f);
    if (!f)
      break;
    files = f;
    if (asprintf(&files[n], "%s/%s", dir, de->d_name) >= 0)
      n++;
  }
  closedir(d);
  if (n == 0) {
    fprintf(stderr, "iotrace run: no trace file appeared in %s (was the program traced?)\n", dir);
    free(files);
    return IOTV_EXIT_INPUT;
  }
  qsort(files, n, sizeof *files, cmp_str);
  {
    char **argv = calloc(n + 2, sizeof *argv);
    if (!argv)
      return IOTV_EXIT_INPUT;
    argv[0] = args[0];
    memcpy(argv + 1, files, n * sizeof *files);
    status = iotv_cmd_summary((int)n + 1, argv);
    free(argv);
  }
  for (i = 0; i < n; i++)
    free(files[i]);
  free(files);
  return status;
}

/*
 * What run exits with, as time(1) and strace do: the program's own status, or 128+N when signal N
 * killed it.  Only a program that succeeded lets a summary problem show through, so a script
 * still learns that the trace was damaged or missing.
 */
static int run_status(int ws, int summary_status) {
  if (WIFSIGNALED(ws))
    return 128 + WTERMSIG(ws);
  if (WEXITSTATUS(ws) != 0)
    return WEXITSTATUS(ws);
  return summary_status;
}

/* SIGTERM and SIGHUP sent to iotrace (a service manager, kill) are meant for the program. */
static volatile sig_atomic_t run_child;
static void forward(int sig) {
  if (run_child > 0)
    kill((pid_t)run_child, sig);
}

int iotv_cmd_run(int argc, char **argv) {
  const char *dir = ".";
  char shim[PATH_MAX], prog[PATH_MAX], why[256], out[PATH_MAX + 32], *preload;
  const char *old;
  struct sigaction ign, fwd, old_int, old_quit, old_term, old_hup;
  struct snapshot before;
  pid_t pid;
  int c, ws;
  optind = 1;
  /* "+": stop at the first word that is not an option, so the command keeps its own options. */
  while ((c = getopt(argc, argv, "+o:")) != -1) {
    if (c == 'o')
      dir = optarg;
    else
      return iotv_usage_error("run", "unknown option");
  }
  if (optind >= argc)
    return iotv_usage_error("run", "no command given (iotrace run -- COMMAND ...)");
  if (find_shim(shim, sizeof shim) < 0) {
    fprintf(stderr, "iotrace run: libiotrace.so is neither next to this program nor in ../lib\n");
    return IOTV_EXIT_USAGE;
  }
  if (resolve(argv[optind], prog, sizeof prog) < 0) {
    fprintf(stderr, "iotrace run: %s: command not found\n", argv[optind]);
    return IOTV_EXIT_USAGE;
  }
  /* Better to refuse than to hand back an empty trace that looks like an idle program. */
  if (iotv_elf_untraceable(prog, why, sizeof why) == 1) {
    fprintf(stderr, "iotrace run: cannot trace %s: %s.\n", prog, why);
    return IOTV_EXIT_USAGE;
  }
  if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
    fprintf(stderr, "iotrace run: %s: %s\n", dir, strerror(errno));
    return IOTV_EXIT_USAGE;
  }
  snprintf(out, sizeof out, "%s/iotrace.%%p.trace", dir);
  old = getenv("LD_PRELOAD");
  if (asprintf(&preload, "%s%s%s", shim, old && *old ? ":" : "", old && *old ? old : "") < 0)
    return IOTV_EXIT_INPUT;
  take_snapshot(&before, dir);
  /* Like time(1): Ctrl-C is for the program; we stay to print what it did. */
  memset(&ign, 0, sizeof ign);
  ign.sa_handler = SIG_IGN;
  sigaction(SIGINT, &ign, &old_int);
  sigaction(SIGQUIT, &ign, &old_quit);
  memset(&fwd, 0, sizeof fwd);
  fwd.sa_handler = forward;
  sigaction(SIGTERM, &fwd, &old_term);
  sigaction(SIGHUP, &fwd, &old_hup);
  pid = fork();
  if (pid == 0) {
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGQUIT, &old_quit, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGHUP, &old_hup, NULL);
    setenv("LD_PRELOAD", preload, 1);
    setenv("IOTRACE_OUTPUT", out, 1);
    execv(prog, argv + optind);
    fprintf(stderr, "iotrace run: %s: %s\n", prog, strerror(errno));
    _exit(127);
  }
  free(preload);
  if (pid < 0) {
    fprintf(stderr, "iotrace run: fork: %s\n", strerror(errno));
    free_snapshot(&before);
    return IOTV_EXIT_USAGE;
  }
  run_child = pid;
  while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
    ;
  run_child = 0;
  sigaction(SIGINT, &old_int, NULL);
  sigaction(SIGQUIT, &old_quit, NULL);
  sigaction(SIGTERM, &old_term, NULL);
  sigaction(SIGHUP, &old_hup, NULL);
  if (WIFSIGNALED(ws))
    fprintf(stderr, "iotrace run: %s was killed by signal %d\n", prog, WTERMSIG(ws));
  else if (WEXITSTATUS(ws) != 0)
    fprintf(stderr, "iotrace run: %s exited with status %d\n", prog, WEXITSTATUS(ws));
  c = summarise(dir, &before);
  free_snapshot(&before);
  return run_status(ws, c);
}
