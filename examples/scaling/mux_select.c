/* mux_select.c: select on fd sets sized to the highest fd, so fds past FD_SETSIZE work. */
#include "mux_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>

#define WORD_BITS (8 * (int)sizeof(unsigned long))

struct sel {
  int nfds;
  size_t words;
  unsigned long *watched; /* kept: select overwrites the set it is given */
  unsigned long *work;
};

static void *sel_open(const int *fds, int n) {
  struct sel *s = calloc(1, sizeof *s);
  if (!s)
    return NULL;
  for (int i = 0; i < n; i++)
    if (fds[i] >= s->nfds)
      s->nfds = fds[i] + 1;
  s->words = (size_t)(s->nfds + WORD_BITS - 1) / WORD_BITS;
  s->watched = calloc(s->words, sizeof(unsigned long));
  s->work = calloc(s->words, sizeof(unsigned long));
  if (!s->watched || !s->work) {
    free(s->watched);
    free(s->work);
    free(s);
    return NULL;
  }
  /* By hand: fortified FD_SET aborts on fds of FD_SETSIZE and above. */
  for (int i = 0; i < n; i++)
    s->watched[fds[i] / WORD_BITS] |= 1UL << (fds[i] % WORD_BITS);
  return s;
}

static int sel_wait(void *state, int *ready, int max, int timeout_ms) {
  struct sel *s = state;
  struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = timeout_ms % 1000 * 1000};
  memcpy(s->work, s->watched, s->words * sizeof(unsigned long));
  int r = select(s->nfds, (fd_set *)s->work, NULL, NULL, &tv);
  if (r <= 0)
    return r;
  /* The caller still has to find which fds are set: a walk over the whole set. */
  int got = 0;
  for (size_t w = 0; w < s->words && got < max && got < r; w++) {
    unsigned long bits = s->work[w];
    while (bits && got < max) {
      int b = __builtin_ctzl(bits);
      ready[got++] = (int)w * WORD_BITS + b;
      bits &= bits - 1;
    }
  }
  return got;
}

static void sel_close(void *state) {
  struct sel *s = state;
  free(s->watched);
  free(s->work);
  free(s);
}

const struct mux_ops mux_select_ops = {"select", sel_open, sel_wait, sel_close};
