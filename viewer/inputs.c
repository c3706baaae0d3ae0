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

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
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
  qsort(in->paths + first, in->n - first, sizeof *in->paths, cmp_str);
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
  return tr;
}

void iotv_close_traces(struct iotv_trace *tr, size_t n) {
  size_t i;
  for (i = 0; tr && i < n; i++)
    iotv_trace_close(&tr[i]);
  free(tr);
}
