/* Reading a trace file: header checks, the chunk index, damage reports and per-thread event
 * cursors. */
#include "reader.h"
#include "filter.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "maps.h"
#include "term.h"

/* A damaged file could otherwise print one line per 1 KiB it skips. */
#define MAX_WARNINGS 20
/* No writer hands out chunks this large; a bigger size is garbage, not a chunk. */
#define MAX_CHUNK_SIZE (1u << 30)

/* The file name is anyone's choice and a message may quote the trace: both go out escaped. */
static void say(FILE *f, const char *path, uint64_t off, const char *what) {
  iotv_term_printf(f, "%s: offset 0x%llx: %s", path, (unsigned long long)off, what);
  fputc('\n', f);
}

void iotv_trace_warn(struct iotv_trace *t, uint64_t off, const char *fmt, ...) {
  va_list ap;
  char msg[1024];
  if (!t->warn)
    return;
  if (++t->warnings > MAX_WARNINGS) {
    if (t->warnings == MAX_WARNINGS + 1) {
      iotv_term_printf(t->warn, "%s: further warnings suppressed", t->path);
      fputc('\n', t->warn);
    }
    return;
  }
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  say(t->warn, t->path, off, msg);
}

/* Fatal problems are always printed, even when warnings are off, except for the fuzzer. */
static int fail(struct iotv_trace *t, uint64_t off, const char *what) {
  if (t->warn)
    say(t->warn, t->path, off, what);
  return -1;
}

/* A problem with the file itself, before any offset means something. */
static void file_problem(FILE *f, const char *path, const char *what) {
  if (f) {
    iotv_term_printf(f, "%s: %s", path, what);
    fputc('\n', f);
  }
}

static int check_header(struct iotv_trace *t) {
  struct iot_file_header *h = &t->hdr;
  char msg[160];
  size_t got = iotv_trace_read(t, 0, h, sizeof *h);
  if (got < sizeof h->magic || memcmp(h->magic, IOT_MAGIC, sizeof h->magic) != 0)
    return fail(t, 0, "not an iotrace file (no IOTRACE magic)");
  if (got < IOT_HEADER_SIZE) {
    snprintf(msg, sizeof msg, "file ends inside the %u-byte header: truncated", IOT_HEADER_SIZE);
    return fail(t, got, msg);
  }
  if (h->version != IOT_VERSION) {
    snprintf(msg, sizeof msg, "unsupported format version %u (this viewer reads %u)", h->version,
             IOT_VERSION);
    return fail(t, offsetof(struct iot_file_header, version), msg);
  }
  if (h->header_size != IOT_HEADER_SIZE) {
    snprintf(msg, sizeof msg, "corrupt header: header_size %u, expected %u", h->header_size,
             IOT_HEADER_SIZE);
    return fail(t, offsetof(struct iot_file_header, header_size), msg);
  }
  if (h->event_size != sizeof(struct iot_event)) {
    snprintf(msg, sizeof msg, "corrupt header: event_size %u, expected %zu", h->event_size,
             sizeof(struct iot_event));
    return fail(t, offsetof(struct iot_file_header, event_size), msg);
  }
  if (h->chunk_align != IOT_CHUNK_ALIGN) {
    snprintf(msg, sizeof msg, "corrupt header: chunk_align %u, expected %u", h->chunk_align,
             IOT_CHUNK_ALIGN);
    return fail(t, offsetof(struct iot_file_header, chunk_align), msg);
  }
  h->host[sizeof h->host - 1] = '\0';
  t->anchor_ns = h->mono_anchor_ns; /* until align.c places the file among others */
  if (h->cmdline_len > sizeof h->cmdline) {
    iotv_trace_warn(t, offsetof(struct iot_file_header, cmdline_len),
                    "cmdline_len %u is larger than the header allows; clipped", h->cmdline_len);
    h->cmdline_len = sizeof h->cmdline;
  }
  /* The byte counts only scale the bookkeeping estimates; absurd ones would make them lie. */
  if (h->pollfd_size > 64) {
    iotv_trace_warn(t, offsetof(struct iot_file_header, pollfd_size),
                    "pollfd_size %u is implausible; using 8", h->pollfd_size);
    h->pollfd_size = 8;
  }
  if (h->epoll_event_size > 64) {
    iotv_trace_warn(t, offsetof(struct iot_file_header, epoll_event_size),
                    "epoll_event_size %u is implausible; using 12", h->epoll_event_size);
    h->epoll_event_size = 12;
  }
  return 0;
}

static int split_cmdline(struct iotv_trace *t) {
  const char *s = t->hdr.cmdline;
  size_t n = t->hdr.cmdline_len, i, start = 0, k = 0;
  /* Count the arguments: each ends at a NUL or at the end of the used bytes. */
  for (i = 0; i < n; i++)
    if (s[i] == '\0')
      t->argc++;
  if (n > 0 && s[n - 1] != '\0')
    t->argc++;
  t->argv = calloc(t->argc + 1, sizeof *t->argv);
  if (!t->argv)
    return -1;
  for (i = 0; i <= n && k < t->argc; i++) {
    if (i == n || s[i] == '\0') {
      t->argv[k] = strndup(s + start, i - start);
      if (!t->argv[k++])
        return -1;
      start = i + 1;
    }
  }
  return 0;
}

/* Whether a chunk header at off is believable; *why gets the reason when it is not. */
static int chunk_ok(const struct iotv_trace *t, uint64_t off, const struct iot_chunk *c,
                    uint64_t claimed_end, const char **why) {
  uint64_t need;
  if (c->magic != IOT_CHUNK_MAGIC) {
    static const struct iot_chunk zero;
    *why = memcmp(c, &zero, sizeof zero) == 0
               ? "zero-filled chunk (claimed but never written: the process was probably killed)"
               : "bad chunk magic";
    return 0;
  }
  if (c->type < IOT_CHUNK_EVENTS || c->type > IOT_CHUNK_BUILDIDS) {
    *why = "unknown chunk type";
    return 0;
  }
  if (c->size < IOT_CHUNK_ALIGN || c->size % IOT_CHUNK_ALIGN != 0 || c->size > MAX_CHUNK_SIZE ||
      off + c->size > claimed_end) {
    *why = "impossible chunk size";
    return 0;
  }
  if (c->type == IOT_CHUNK_EVENTS) {
    need = (uint64_t)c->capacity * sizeof(struct iot_event);
    if (c->flags & IOT_CF_SITES)
      need += (uint64_t)c->capacity * sizeof(uint32_t);
  } else {
    need = c->capacity;
  }
  if (c->capacity == 0 || sizeof *c + need > c->size) {
    *why = "chunk capacity does not fit its size";
    return 0;
  }
  (void)t;
  return 1;
}

static int push_chunk(struct iotv_chunk_ref **arr, size_t *n, size_t *cap,
                      const struct iotv_chunk_ref *r) {
  if (*n == *cap) {
    size_t nc = *cap ? *cap * 2 : 64;
    struct iotv_chunk_ref *p = realloc(*arr, nc * sizeof *p);
    if (!p)
      return -1;
    *arr = p;
    *cap = nc;
  }
  (*arr)[(*n)++] = *r;
  return 0;
}

/* Records a valid chunk, clipping what can be read to the end of the file. */
static int add_chunk(struct iotv_trace *t, uint64_t off, const struct iot_chunk *c, size_t *cap_ev,
                     size_t *cap_meta) {
  struct iotv_chunk_ref r;
  uint64_t avail = t->len - (off + sizeof *c); /* caller made sure the header is inside */
  uint32_t want = c->used < c->capacity ? c->used : c->capacity;
  memset(&r, 0, sizeof r);
  r.off = off;
  r.tid = c->tid;
  r.seq = c->seq;
  r.size = c->size;
  r.capacity = c->capacity;
  r.type = c->type;
  r.flags = c->flags;
  memcpy(r.name, c->thread_name, sizeof c->thread_name);
  if (c->type == IOT_CHUNK_EVENTS) {
    uint64_t fit = avail / sizeof(struct iot_event);
    /* The site array lives after all capacity events: a cut file may hold events but no sites. */
    if ((c->flags & IOT_CF_SITES) &&
        avail < (uint64_t)c->capacity * sizeof(struct iot_event) + (uint64_t)want * 4)
      r.flags &= ~IOT_CF_SITES;
    r.nslots = fit < want ? (uint32_t)fit : want;
  } else {
    r.nslots = avail < want ? (uint32_t)avail : want;
  }
  if (off + c->size > t->len) {
    t->truncated = 1;
    iotv_trace_warn(t, t->len,
                    "file ends inside the chunk at 0x%llx (thread %u): %u of %u %s readable",
                    (unsigned long long)off, c->tid, r.nslots, want,
                    c->type == IOT_CHUNK_EVENTS ? "events" : "bytes");
  }
  if (c->type == IOT_CHUNK_EVENTS)
    return push_chunk(&t->chunks, &t->nchunks, cap_ev, &r);
  return push_chunk(&t->meta, &t->nmeta, cap_meta, &r);
}

static int cmp_chunk(const void *a, const void *b) {
  const struct iotv_chunk_ref *x = a, *y = b;
  if (x->tid != y->tid)
    return x->tid < y->tid ? -1 : 1;
  if (x->seq != y->seq)
    return x->seq < y->seq ? -1 : 1;
  return x->off < y->off ? -1 : x->off > y->off;
}

static int build_threads(struct iotv_trace *t) {
  size_t i, n = 0;
  if (t->nchunks > 1) /* qsort with a NULL base is undefined even for 0 elements */
    qsort(t->chunks, t->nchunks, sizeof *t->chunks, cmp_chunk);
  for (i = 0; i < t->nchunks; i++)
    if (i == 0 || t->chunks[i].tid != t->chunks[i - 1].tid)
      n++;
  t->threads = calloc(n ? n : 1, sizeof *t->threads);
  if (!t->threads)
    return -1;
  for (i = 0; i < t->nchunks; i++) {
    struct iotv_thread *th;
    if (i == 0 || t->chunks[i].tid != t->chunks[i - 1].tid) {
      th = &t->threads[t->nthreads++];
      th->tid = t->chunks[i].tid;
      th->first = (uint32_t)i;
    }
    th = &t->threads[t->nthreads - 1];
    th->count++;
    /* The newest chunk carries the latest name (threads rename themselves after starting). */
    if (t->chunks[i].name[0])
      memcpy(th->name, t->chunks[i].name, sizeof th->name);
  }
  return 0;
}

static int scan_chunks(struct iotv_trace *t) {
  uint64_t used = t->hdr.used_bytes, claimed_end, limit, off = IOT_HEADER_SIZE;
  size_t cap_ev = 0, cap_meta = 0;
  if (used < IOT_HEADER_SIZE) {
    iotv_trace_warn(t, offsetof(struct iot_file_header, used_bytes),
                    "used_bytes 0x%llx is before the end of the header; scanning the whole file",
                    (unsigned long long)used);
    used = t->len;
  }
  claimed_end = used;
  if (used > t->len) {
    t->truncated = 1;
    iotv_trace_warn(t, t->len, "file ends before the recorded end 0x%llx: truncated",
                    (unsigned long long)used);
    claimed_end = used;
  }
  limit = claimed_end < t->len ? claimed_end : t->len;
  while (off + sizeof(struct iot_chunk) <= limit) {
    struct iot_chunk c;
    const char *why = NULL;
    uint64_t start = off;
    iotv_trace_read(t, off, &c, sizeof c);
    if (chunk_ok(t, off, &c, claimed_end, &why)) {
      if (add_chunk(t, off, &c, &cap_ev, &cap_meta) < 0)
        return -1;
      off += c.size;
      continue;
    }
    /* Resynchronise: chunks only ever start on the alignment, so step by it. */
    for (off += IOT_CHUNK_ALIGN; off + sizeof c <= limit; off += IOT_CHUNK_ALIGN) {
      const char *ignored;
      iotv_trace_read(t, off, &c, sizeof c);
      if (chunk_ok(t, off, &c, claimed_end, &ignored))
        break;
    }
    if (off > limit)
      off = limit;
    t->damaged_ranges++;
    iotv_trace_warn(t, start, "%s; skipped 0x%llx-0x%llx (%llu bytes)", why,
                    (unsigned long long)start, (unsigned long long)off,
                    (unsigned long long)(off - start));
  }
  t->end = off;
  return build_threads(t);
}

size_t iotv_trace_read(const struct iotv_trace *t, uint64_t off, void *buf, size_t n) {
  size_t done = 0;
  if (off >= t->len)
    return 0;
  if (n > t->len - off)
    n = (size_t)(t->len - off);
  if (t->base) {
    memcpy(buf, t->base + off, n);
    return n;
  }
  while (done < n) {
    ssize_t r = pread(t->fd, (char *)buf + done, n - done, (off_t)(off + done));
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0) /* the file shrank under us: what is missing reads as zeros (torn) */
      break;
    done += (size_t)r;
  }
  memset((char *)buf + done, 0, n - done);
  return done;
}

static int open_common(struct iotv_trace *t) {
  if (check_header(t) < 0)
    return -1;
  if (split_cmdline(t) < 0 || scan_chunks(t) < 0) {
    fail(t, 0, "out of memory");
    return -1;
  }
  return 0;
}

int iotv_trace_open_mem(struct iotv_trace *t, const char *name, const void *buf, size_t len,
                        FILE *warn) {
  memset(t, 0, sizeof *t);
  t->fd = -1;
  t->path = strdup(name);
  if (!t->path)
    return -1;
  t->base = buf;
  t->len = len;
  t->warn = warn;
  if (open_common(t) < 0) {
    iotv_trace_close(t);
    return -1;
  }
  return 0;
}

int iotv_trace_open(struct iotv_trace *t, const char *path, FILE *warn) {
  struct stat st;
  /* Read with pread, not mmap: the cursors hold one block each, so resident memory stays the
   * same for a 10-event trace and a 10-million-event one. */
  memset(t, 0, sizeof *t);
  t->path = strdup(path);
  t->warn = warn;
  if (!t->path) {
    file_problem(warn, path, "out of memory");
    return -1;
  }
  /* O_NONBLOCK: a FIFO planted among the traces must not hang the viewer in open(). */
  t->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (t->fd < 0 || fstat(t->fd, &st) < 0) {
    file_problem(warn, path, strerror(errno));
    iotv_trace_close(t);
    return -1;
  }
  if (!S_ISREG(st.st_mode)) {
    file_problem(warn, path, "not a regular file");
    iotv_trace_close(t);
    return -1;
  }
  t->len = (size_t)st.st_size;
  if (t->len == 0) {
    fail(t, 0, "empty file, not an iotrace file");
    iotv_trace_close(t);
    return -1;
  }
  posix_fadvise(t->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  if (open_common(t) < 0) {
    iotv_trace_close(t);
    return -1;
  }
  return 0;
}

void iotv_trace_close(struct iotv_trace *t) {
  size_t i;
  if (!t->base && t->fd >= 0)
    close(t->fd);
  for (i = 0; t->argv && i < t->argc; i++)
    free(t->argv[i]);
  free(t->argv);
  free(t->chunks);
  free(t->meta);
  free(t->threads);
  for (i = 0; i < t->nmodules; i++)
    free(t->modules[i].path);
  free(t->modules);
  for (i = 0; i < t->nnotes; i++)
    free(t->notes[i].text);
  free(t->notes);
  for (i = 0; i < t->nmeta_bufs; i++)
    free(t->meta_bufs[i]);
  free(t->meta_bufs);
  iotv_map_free(t->sites);
  free(t->path);
  memset(t, 0, sizeof *t);
  t->fd = -1;
}

int iotv_trace_damaged(const struct iotv_trace *t) {
  return t->truncated || t->damaged_ranges > 0 || t->bad_chunks > 0;
}

void iotv_cursor_init(struct iotv_cursor *c, struct iotv_trace *t, size_t thread) {
  c->t = t;
  c->th = &t->threads[thread];
  c->ci = c->slot = c->bfirst = c->bn = 0;
  c->off = c->torn = 0;
}

/* Reads the block of slots starting at the cursor's slot (and their site ids). */
static void fill_block(struct iotv_cursor *c, const struct iotv_chunk_ref *ch) {
  uint32_t n = ch->nslots - c->slot;
  uint64_t base = ch->off + sizeof(struct iot_chunk);
  if (n > IOTV_CURSOR_BLOCK)
    n = IOTV_CURSOR_BLOCK;
  iotv_trace_read(c->t, base + (uint64_t)c->slot * sizeof(struct iot_event), c->block,
                  (size_t)n * sizeof(struct iot_event));
  if (ch->flags & IOT_CF_SITES)
    iotv_trace_read(c->t,
                    base + (uint64_t)ch->capacity * sizeof(struct iot_event) +
                        (uint64_t)c->slot * sizeof(uint32_t),
                    c->sites, (size_t)n * sizeof(uint32_t));
  else
    memset(c->sites, 0, (size_t)n * sizeof(uint32_t));
  c->bfirst = c->slot;
  c->bn = n;
}

const struct iot_event *iotv_cursor_next(struct iotv_cursor *c, uint32_t *site) {
  while (c->ci < c->th->count) {
    const struct iotv_chunk_ref *ch = &c->t->chunks[c->th->first + c->ci];
    const struct iot_event *e;
    uint32_t i;
    if (c->slot >= ch->nslots) {
      c->ci++;
      c->slot = c->bn = 0;
      continue;
    }
    if (c->slot >= c->bfirst + c->bn || c->bn == 0)
      fill_block(c, ch);
    i = c->slot++;
    e = &c->block[i - c->bfirst];
    if (e->call == IOT_CALL_NONE) {
      c->torn++;
      continue;
    }
    if (e->call >= IOT_CALL_COUNT) {
      if (c->t->unknown_calls++ == 0)
        iotv_trace_warn(c->t, ch->off + sizeof(struct iot_chunk) + (uint64_t)i * sizeof *e,
                        "unknown call id %u (written by a newer shim?); skipped", e->call);
      continue;
    }
    if (c->t->filter && !iotv_filter_event(c->t->filter, c->t, e))
      continue;
    c->off = ch->off + sizeof(struct iot_chunk) + (uint64_t)i * sizeof *e;
    if (site)
      *site = c->sites[i - c->bfirst];
    return e;
  }
  return NULL;
}

uint64_t iotv_trace_duration_hint(const struct iotv_trace *t) {
  if (t->hdr.end_mono_ns > t->hdr.mono_anchor_ns)
    return t->hdr.end_mono_ns - t->hdr.mono_anchor_ns;
  return 0;
}
