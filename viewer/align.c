/* Placing traces on one time axis: their monotonic clocks when they share one, else wall clocks. */
#include "align.h"

#include <stdio.h>
#include <string.h>

/*
 * CLOCK_MONOTONIC counts from an arbitrary point per boot: two hosts, or two boots of one host,
 * are hours apart on it.  Each header anchors it to CLOCK_REALTIME at the same instant, so the
 * gap between the two clocks (the boot's wall-clock time) tells boots apart: within one boot it
 * moves only as NTP slews the wall clock, by milliseconds; across boots it jumps by the time
 * between them.  A file that records its boot id is compared by that instead.
 */
#define SAME_BOOT_SLACK_NS 1000000000ll

static long long boot_offset(const struct iotv_trace *t) {
  return (long long)(t->hdr.real_anchor_ns - t->hdr.mono_anchor_ns);
}

static int has_boot_id(const struct iotv_trace *t) {
  size_t i;
  for (i = 0; i < sizeof t->hdr.boot_id; i++)
    if (t->hdr.boot_id[i])
      return 1;
  return 0;
}

static int same_clock(const struct iotv_trace *a, const struct iotv_trace *b) {
  long long d = boot_offset(a) - boot_offset(b);
  if (has_boot_id(a) && has_boot_id(b))
    return memcmp(a->hdr.boot_id, b->hdr.boot_id, sizeof a->hdr.boot_id) == 0;
  return strncmp(a->hdr.host, b->hdr.host, sizeof a->hdr.host) == 0 &&
         (d < 0 ? -d : d) < SAME_BOOT_SLACK_NS;
}

int iotv_clock_parse(const char *s, enum iotv_clock *out) {
  if (strcmp(s, "auto") == 0)
    *out = IOTV_CLOCK_AUTO;
  else if (strcmp(s, "mono") == 0)
    *out = IOTV_CLOCK_MONO;
  else if (strcmp(s, "wall") == 0)
    *out = IOTV_CLOCK_WALL;
  else
    return -1;
  return 0;
}

size_t iotv_host_count(const struct iotv_trace *tr, size_t n) {
  size_t i, j, hosts = 0;
  for (i = 0; i < n; i++) {
    for (j = 0; j < i; j++)
      if (strncmp(tr[i].hdr.host, tr[j].hdr.host, sizeof tr[i].hdr.host) == 0)
        break;
    if (j == i)
      hosts++;
  }
  return hosts;
}

void iotv_align(struct iotv_trace *tr, size_t n, enum iotv_clock want, struct iotv_alignment *a) {
  size_t i;
  memset(a, 0, sizeof *a);
  a->shared_clock = 1;
  for (i = 0; i < n; i++)
    if (!same_clock(&tr[0], &tr[i]))
      a->shared_clock = 0;
  a->nhosts = iotv_host_count(tr, n);
  a->forced = want != IOTV_CLOCK_AUTO;
  a->used = want != IOTV_CLOCK_AUTO ? want : a->shared_clock ? IOTV_CLOCK_MONO : IOTV_CLOCK_WALL;
  for (i = 0; i < n; i++)
    tr[i].anchor_ns = a->used == IOTV_CLOCK_WALL ? tr[i].hdr.real_anchor_ns
                                                 : tr[i].hdr.mono_anchor_ns;
}

void iotv_align_note(const char *cmd, const struct iotv_alignment *a) {
  if (a->used == IOTV_CLOCK_WALL && !a->forced)
    fprintf(stderr,
            "iotrace %s: the files come from %zu host%s or boots with different monotonic "
            "clocks: placed by their wall clocks (as exact as those agree; --clock mono to "
            "force the monotonic clock)\n",
            cmd, a->nhosts, a->nhosts == 1 ? "" : "s");
  else if (a->used == IOTV_CLOCK_MONO && !a->shared_clock)
    fprintf(stderr,
            "iotrace %s: --clock mono on files from different hosts or boots: their times "
            "are not comparable\n",
            cmd);
}
