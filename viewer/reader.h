/* Reading a trace file: header checks, the chunk index, damage reports and per-thread event
 * cursors. */
#ifndef IOTV_READER_H
#define IOTV_READER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "iotrace_format.h"

/* One chunk found by the scan; events chunks are kept sorted by (tid, seq, offset). */
struct iotv_chunk_ref {
  uint64_t off; /* file offset of the chunk header */
  uint32_t tid;
  uint32_t seq;
  uint32_t size;
  uint32_t capacity;
  uint32_t nslots; /* slots (or payload bytes) readable: min(used, capacity, what the file holds) */
  uint16_t type;
  uint16_t flags;
  char name[17];
};

/* A thread: its events chunks are chunks[first .. first + count). */
struct iotv_thread {
  uint32_t tid;
  char name[17];
  uint32_t first;
  uint32_t count;
};

/* A committed call-site record: ip points into a copy owned by the trace, valid while it is open.
 */
struct iotv_site {
  uint32_t id;
  uint32_t nframes;
  const unsigned char *ip; /* nframes little-endian uint64_t, maybe unaligned */
};

struct iotv_module {
  uint64_t start, end, file_offset;
  char *path;
  unsigned char build_id[64]; /* of the file as it was mapped, when the trace says */
  unsigned build_id_len;
};

/* A message of the shim, from a NOTES chunk; text is NUL-terminated and may hold any byte. */
struct iotv_note {
  uint64_t time_ns; /* since the file's anchor, 0 when said before the file existed */
  char *text;
};

struct iotv_map;
struct iotv_filter;

struct iotv_trace {
  char *path;                /* a copy of the name given, owned by the trace */
  const unsigned char *base; /* the whole file when it came from memory, else NULL */
  int fd;                    /* otherwise the open file, read with pread block by block */
  size_t len;
  FILE *warn;        /* where damage is reported; NULL keeps quiet (fuzzing) */
  unsigned warnings; /* reported so far, to cap the flood from a badly damaged file */
  struct iot_file_header hdr;
  uint64_t anchor_ns; /* where the file's time 0 sits on the common axis: align.c chooses */
  const struct iotv_filter *filter; /* when set, cursors skip the events it leaves out */
  uint64_t span_ns; /* from the anchor to the process's end, once iotv_trace_span knows it */
  int span_known;
  uint64_t end;                  /* where the chunk scan stopped */
  int truncated;                 /* the file ends before the data it claims */
  unsigned damaged_ranges;       /* stretches skipped while resynchronising */
  unsigned bad_chunks;           /* chunks with an impossible size or payload */
  struct iotv_chunk_ref *chunks; /* events chunks */
  size_t nchunks;
  struct iotv_chunk_ref *meta; /* stacks, modules and notes chunks, in file order */
  size_t nmeta;
  struct iotv_thread *threads;
  size_t nthreads;
  struct iotv_map *sites;    /* id -> struct iotv_site, filled by iotv_trace_load_sites */
  unsigned char **meta_bufs; /* payloads of the stacks chunks, which the sites point into */
  size_t nmeta_bufs;
  struct iotv_module *modules;
  size_t nmodules;
  struct iotv_note *notes; /* filled by iotv_trace_load_notes */
  size_t nnotes;
  char **argv; /* the command line split at NULs */
  size_t argc;
  uint64_t unknown_calls; /* slots with a call id this viewer does not know */
};

/* Open path; 0 on success, -1 when the file cannot be used at all (reason printed). */
int iotv_trace_open(struct iotv_trace *t, const char *path, FILE *warn);
/* The same on bytes already in memory (the fuzzer); buf must outlive t. */
int iotv_trace_open_mem(struct iotv_trace *t, const char *name, const void *buf, size_t len,
                        FILE *warn);
void iotv_trace_close(struct iotv_trace *t);
/* Whether anything was skipped or cut: the exit status then says the output is partial. */
int iotv_trace_damaged(const struct iotv_trace *t);
/* Report damage at a file offset as "path: offset 0x..: message". */
void iotv_trace_warn(struct iotv_trace *t, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Parse the stacks and modules chunks (done on demand: most commands never need them). */
void iotv_trace_load_sites(struct iotv_trace *t);
/* Parse the notes chunks: what the shim said while this file was open, in file order. */
void iotv_trace_load_notes(struct iotv_trace *t);
const struct iotv_site *iotv_trace_site(const struct iotv_trace *t, uint32_t id);
uint64_t iotv_site_ip(const struct iotv_site *s, uint32_t i);

/* Copies up to n bytes at off into buf; returns how many the file held there (the rest is 0). */
size_t iotv_trace_read(const struct iotv_trace *t, uint64_t off, void *buf, size_t n);

/* Events read per block: a cursor's whole memory, whatever the size of the trace. */
#define IOTV_CURSOR_BLOCK 512

/* Walks one thread's events in the order they were recorded, chunk by chunk. */
struct iotv_cursor {
  struct iotv_trace *t;
  const struct iotv_thread *th;
  uint32_t ci;         /* index into th's chunks */
  uint32_t slot;       /* next slot in that chunk */
  uint32_t bfirst, bn; /* slots [bfirst, bfirst + bn) of the chunk are in block */
  uint64_t off;        /* file offset of the last event returned */
  uint64_t torn;       /* slots skipped because call was 0 */
  struct iot_event block[IOTV_CURSOR_BLOCK]; /* copies, so events are always aligned */
  uint32_t sites[IOTV_CURSOR_BLOCK];
};

void iotv_cursor_init(struct iotv_cursor *c, struct iotv_trace *t, size_t thread);
/* The next valid event, or NULL at the end; *site gets its call-site id (0 when none). */
const struct iot_event *iotv_cursor_next(struct iotv_cursor *c, uint32_t *site);

/* Nanoseconds from the file's anchor to the process's end, 0 when the header does not say. */
uint64_t iotv_trace_duration_hint(const struct iotv_trace *t);

#endif
