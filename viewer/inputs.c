/* Input files of a command: FILE arguments (a directory stands for its *.trace files), opened. */
#include "inputs.h"
#include "cmds.h"
#include "reader.h"
#include "term.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int push(struct iotv_inputs *in, size_t *cap, char *p) {
  if (!p)
    return -1;
  if (in->n == *cap) {
    size_t nc = *cap ? *cap * 2 : 16;
    char **q = realloc(in->paths, nc * sizeof *q);
    if (!q) {
      free(p);
      return -1;
    }
    in->paths = q;
    *cap = nc;
  }
  in->paths[in->n++] = p;
  return 0;
}

/*
 * Directory order: names with numbers compared as numbers (iotrace.99 before iotrace.100), and an
 * exec image's "-N" after the name of the image before it (iotrace.7.trace, then iotrace.7-1.trace):
 * plain byte order puts '-' before '.'.
 */
static void exec_key(const char *name, char *base, size_t cap, unsigned long *n) {
  size_t len = strlen(name), dot = len, i;
  const char *ext = strrchr(name, '.');
  *n = 0;
  if (ext && ext != name)
    dot = (size_t)(ext - name);
  i = dot;
  while (i > 0 && name[i - 1] >= '0' && name[i - 1] <= '9')
    i--;
  if (i < dot && i > 1 && name[i - 1] == '-' && name[i - 2] >= '0' && name[i - 2] <= '9') {
    *n = strtoul(name + i, NULL, 10);
    snprintf(base, cap, "%.*s%s", (int)(i - 1), name, name + dot);
  } else {
    snprintf(base, cap, "%s", name);
  }
}

static int cmp_trace_names(const void *a, const void *b) {
  char ka[4096], kb[4096];
  unsigned long na, nb;
  int c;
  exec_key(*(char *const *)a, ka, sizeof ka, &na);
  exec_key(*(char *const *)b, kb, sizeof kb, &nb);
  c = strverscmp(ka, kb);
  if (c != 0)
    return c;
  return na < nb ? -1 : na > nb;
}

static int ends_with(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a > b && strcmp(s + a - b, suffix) == 0;
}

static int add_dir(struct iotv_inputs *in, size_t *cap, const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *de;
  size_t first = in->n;
  if (!d) {
    iotv_term_printf(stderr, "%s: %s", dir, strerror(errno));
    fputc('\n', stderr);
    in->failed = 1;
    return 0;
  }
  while ((de = readdir(d)) != NULL) {
    char *p;
    if (!ends_with(de->d_name, ".trace"))
      continue;
    if (asprintf(&p, "%s/%s", dir, de->d_name) < 0)
      p = NULL;
    if (push(in, cap, p) < 0) {
      closedir(d);
      return -1;
    }
  }
  closedir(d);
  if (in->n == first) {
    iotv_term_printf(stderr, "%s: no *.trace files in this directory", dir);
    fputc('\n', stderr);
    in->failed = 1;
  }
  /* readdir order is arbitrary; sorted, pid-named files come out in a stable order. */
  qsort(in->paths + first, in->n - first, sizeof *in->paths, cmp_trace_names);
  return 0;
}

int iotv_inputs_expand(struct iotv_inputs *in, int argc, char **argv) {
  size_t cap = 0;
  int i;
  memset(in, 0, sizeof *in);
  for (i = 0; i < argc; i++) {
    struct stat st;
    int r = stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode) ? add_dir(in, &cap, argv[i])
                                                           : push(in, &cap, strdup(argv[i]));
    if (r < 0) {
      iotv_inputs_free(in);
      return -1;
    }
  }
  return 0;
}

void iotv_inputs_free(struct iotv_inputs *in) {
  size_t i;
  for (i = 0; i < in->n; i++)
    free(in->paths[i]);
  free(in->paths);
  memset(in, 0, sizeof *in);
}

/* Two files of one process: the same pid, start time and host, before and after an exec. */
static int same_process(const struct iotv_trace *a, const struct iotv_trace *b) {
  return a->hdr.pid == b->hdr.pid && a->hdr.proc_start_ticks == b->hdr.proc_start_ticks &&
         strncmp(a->hdr.host, b->hdr.host, sizeof a->hdr.host) == 0;
}

/*
 * Exec images of one process in exec order, in the places the arguments gave them: a shell glob
 * lists iotrace.7-1.trace before iotrace.7.trace.  Files of other processes keep their order.
 */
static void exec_order(struct iotv_trace *tr, size_t n) {
  size_t i, j;
  for (i = 0; i < n; i++)
    for (j = i + 1; j < n; j++)
      if (same_process(&tr[i], &tr[j]) && tr[j].hdr.exec_seq < tr[i].hdr.exec_seq) {
        struct iotv_trace tmp = tr[i];
        tr[i] = tr[j];
        tr[j] = tmp;
      }
}

struct iotv_trace *iotv_open_traces(int argc, char **argv, size_t *n, int *status) {
  struct iotv_inputs in;
  struct iotv_trace *tr;
  size_t i;
  *n = 0;
  if (iotv_inputs_expand(&in, argc, argv) < 0)
    return NULL;
  if (in.failed)
    *status = IOTV_EXIT_INPUT;
  tr = calloc(in.n ? in.n : 1, sizeof *tr);
  for (i = 0; tr && i < in.n; i++) {
    if (iotv_trace_open(&tr[*n], in.paths[i], stderr) < 0) {
      *status = IOTV_EXIT_INPUT;
      continue;
    }
    if (iotv_trace_damaged(&tr[*n]))
      *status = IOTV_EXIT_INPUT;
    (*n)++;
  }
  iotv_inputs_free(&in);
  if (tr)
    exec_order(tr, *n);
  return tr;
}

void iotv_close_traces(struct iotv_trace *tr, size_t n) {
  size_t i;
  for (i = 0; tr && i < n; i++)
    iotv_trace_close(&tr[i]);
  free(tr);
}
