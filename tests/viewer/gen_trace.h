/* Shared between the two files of the synthetic trace generator: options and the expected summary.
 */
#ifndef GEN_TRACE_H
#define GEN_TRACE_H

#include <stdint.h>
#include <stdio.h>

#include "iotrace_format.h"

/* An event as the generator plans it; parent links a phase to the read that encloses it. */
struct gen_event {
  struct iot_event e;
  uint32_t site;
  int parent; /* index within its group, -1 when none */
  int alive;  /* still readable after truncation, zeroing and tearing */
};

#define GEN_MAX_GROUP 64
#define GEN_MAX_THREADS 256

struct gen_options {
  const char *out, *expect, *model, *cmdline, *host, *thread_name, *boot_id;
  uint64_t events, seed, reserve, cut_back, dropped;
  uint64_t mono_anchor, real_anchor; /* 0: the fixed defaults */
  unsigned threads, capacity, pid, exec_seq;
  int split, phases_first, stacks, no_rseq, not_closed, execed, units;
  long zero_chunk, torn_every;
};

/* One simulated thread: its clock, random state and the group of events it is emitting. */
struct gen_thread {
  unsigned index;
  uint32_t tid;
  uint64_t rng, clock;
  struct gen_event q[GEN_MAX_GROUP];
  int qn, qpos;
  int step; /* models that cycle use it */
};

/* An IO model: step() appends the next group of events to th->q. */
struct gen_model {
  const char *name;
  void (*step)(struct gen_thread *th);
  const char *diagnosis; /* what the viewer should call it ("" when it has no single answer) */
};

extern struct gen_options gen_opt;

const struct gen_model *gen_model_find(const char *name);
void gen_models_list(FILE *f);
/* Functions whose addresses serve as recorded frames, so symbols can be checked. */
void gen_site_reader(void);
void gen_site_loop(void);

struct gen_expect;

struct gen_expect *gen_expect_new(const struct iot_file_header *h);
/* Accounts one group (a multiplexer call and its reads, or a read and its phases) at once,
 * because a read's wait and copy depend on which of its phases survived. */
void gen_expect_group(struct gen_expect *x, const struct gen_event *g, int n, int no_rseq);
void gen_expect_torn(struct gen_expect *x, uint64_t n);
/* Writes the expected numbers as JSON (see check_summary.py). */
void gen_expect_write(struct gen_expect *x, FILE *f, const char *header_fields);

#endif
