/* Writes synthetic but format-valid trace files (and the summary they should give) for the viewer
 * tests. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gen_trace.h"

static const struct gen_model *model;
static struct gen_thread threads[GEN_MAX_THREADS];
static struct gen_expect *expect;

/* The next event of a thread; whole groups are accounted once every member has a fate. */
static struct gen_event *next_event(struct gen_thread *th) {
  if (th->qpos == th->qn) {
    th->qn = th->qpos = 0;
    while (th->qn == 0)
      model->step(th);
  }
  return &th->q[th->qpos++];
}

static void group_done(struct gen_thread *th) {
  if (expect && th->qn > 0 && th->qpos == th->qn)
    gen_expect_group(expect, th->q, th->qn, gen_opt.no_rseq);
}

static void finish_thread(struct gen_thread *th) {
  int i;
  /* Events planned but never written (the thread "stopped" mid-group) are not alive. */
  for (i = th->qpos; i < th->qn; i++)
    th->q[i].alive = 0;
  if (expect && th->qn > 0 && th->qpos < th->qn)
    gen_expect_group(expect, th->q, th->qn, gen_opt.no_rseq);
}

static uint32_t chunk_size(uint32_t capacity, int sites) {
  uint64_t need = sizeof(struct iot_chunk) + (uint64_t)capacity * (32 + (sites ? 4 : 0));
  return (uint32_t)((need + IOT_CHUNK_ALIGN - 1) / IOT_CHUNK_ALIGN * IOT_CHUNK_ALIGN);
}

static void fill_chunk_header(struct iot_chunk *c, uint16_t type, uint16_t flags, uint32_t size,
                              uint32_t tid, uint32_t used, uint32_t seq, uint32_t cap,
                              const char *name) {
  memset(c, 0, sizeof *c);
  c->magic = IOT_CHUNK_MAGIC;
  c->type = type;
  c->flags = flags;
  c->size = size;
  c->tid = tid;
  c->used = used;
  c->seq = seq;
  c->capacity = cap;
  snprintf(c->thread_name, sizeof c->thread_name, "%s", name);
}

/* Frames that point into this very program, so the viewer can name them from its symbols. */
/* Frames point a few bytes into them, so each needs a body longer than a lone ret. */
static volatile unsigned gen_sink;
__attribute__((noinline)) void gen_site_reader(void) {
  unsigned i;
  for (i = 0; i < 8; i++)
    gen_sink += i * 3;
}
__attribute__((noinline)) void gen_site_loop(void) {
  unsigned i;
  for (i = 0; i < 8; i++)
    gen_sink ^= i * 5;
}

static int find_self_mapping(uint64_t addr, uint64_t *start, uint64_t *end, uint64_t *off,
                             char *path, size_t len) {
  FILE *f = fopen("/proc/self/maps", "r");
  char line[4096];
  int found = 0;
  if (!f)
    return 0;
  while (!found && fgets(line, sizeof line, f)) {
    unsigned long long s, e, o;
    char perms[8];
    int pos = 0;
    if (sscanf(line, "%llx-%llx %7s %llx %*s %*s%n", &s, &e, perms, &o, &pos) < 4)
      continue;
    if (addr < s || addr >= e || perms[2] != 'x')
      continue;
    while (line[pos] == ' ')
      pos++;
    line[strcspn(line, "\n")] = '\0';
    *start = s, *end = e, *off = o;
    snprintf(path, len, "%s", line + pos);
    found = 1;
  }
  fclose(f);
  return found;
}

/* One MODULES chunk (this program) and one STACKS chunk with four sites. */
static uint64_t write_stacks(FILE *f, uint64_t off) {
  unsigned char buf[IOT_CHUNK_ALIGN];
  struct iot_chunk c;
  struct iot_module_rec m;
  char path[512];
  uint64_t start, end, foff, pos = 0;
  uint64_t reader = (uint64_t)(uintptr_t)&gen_site_reader,
           loop = (uint64_t)(uintptr_t)&gen_site_loop;
  unsigned id;
  memset(buf, 0, sizeof buf);
  if (!find_self_mapping(reader, &start, &end, &foff, path, sizeof path))
    return off;
  memset(&m, 0, sizeof m);
  m.start = start;
  m.end = end;
  m.file_offset = foff;
  m.path_len = (uint16_t)strlen(path);
  m.commit = IOT_MODULE_COMMIT;
  memcpy(buf + sizeof c, &m, sizeof m);
  memcpy(buf + sizeof c + sizeof m, path, m.path_len);
  pos = (sizeof m + m.path_len + 7) & ~7ull;
  fill_chunk_header(&c, IOT_CHUNK_MODULES, 0, IOT_CHUNK_ALIGN, threads[0].tid, (uint32_t)pos, 0,
                    IOT_CHUNK_ALIGN - sizeof c, "");
  memcpy(buf, &c, sizeof c);
  fwrite(buf, 1, sizeof buf, f);

  memset(buf, 0, sizeof buf);
  pos = 0;
  for (id = 1; id <= 4; id++) {
    struct iot_stack_rec r;
    uint64_t ip[2] = {reader + 1 + id, loop + 2};
    r.id = id;
    r.nframes = 2;
    r.commit = IOT_STACK_COMMIT;
    memcpy(buf + sizeof c + pos, &r, sizeof r);
    memcpy(buf + sizeof c + pos + sizeof r, ip, sizeof ip);
    pos += sizeof r + sizeof ip;
  }
  fill_chunk_header(&c, IOT_CHUNK_STACKS, 0, IOT_CHUNK_ALIGN, threads[0].tid, (uint32_t)pos, 1,
                    IOT_CHUNK_ALIGN - sizeof c, "");
  memcpy(buf, &c, sizeof c);
  fwrite(buf, 1, sizeof buf, f);
  return off + 2 * IOT_CHUNK_ALIGN;
}

struct gen_options gen_opt = {
    .events = 1000,
    .seed = 1,
    .threads = 1,
    .capacity = 100,
    .pid = 4242,
    .model = "epoll-et",
    .cmdline = "gen-server --port 8080",
    .host = "gen-host",
    .zero_chunk = -1,
};

static void usage(FILE *f) {
  fprintf(f, "usage: gen_trace -o FILE [--model M] [--events N per thread] [--threads T]\n"
             "  [--capacity SLOTS per chunk] [--seed S] [--split [--phases-first]] [--stacks]\n"
             "  [--no-rseq] [--units] [--not-closed] [--execed] [--dropped N] [--pid P]\n"
             "  [--exec-seq N] [--cmdline 'a b'] [--host H] [--thread-name N] [--reserve BYTES]\n"
             "  [--cut-back BYTES] [--mono-anchor NS] [--real-anchor NS] [--boot-id HEX32]"
             "  [--zero-chunk I] [--torn-every N] [--expect FILE.json]\nmodels:");
  gen_models_list(f);
}

static int parse(int argc, char **argv) {
  enum {
    SPLIT = 256,
    FIRST,
    STACKS,
    NORSEQ,
    UNITS,
    NOTCLOSED,
    EXECED,
    DROPPED,
    PID,
    EXECSEQ,
    CMDLINE,
    HOST,
    TNAME,
    RESERVE,
    CUT,
    ZERO,
    TORN,
    EXPECT,
    MONO,
    REAL,
    BOOTID,
    CAP,
    SEED
  };
  static const struct option lo[] = {{"model", required_argument, NULL, 'm'},
                                     {"events", required_argument, NULL, 'n'},
                                     {"threads", required_argument, NULL, 't'},
                                     {"capacity", required_argument, NULL, CAP},
                                     {"seed", required_argument, NULL, SEED},
                                     {"split", no_argument, NULL, SPLIT},
                                     {"phases-first", no_argument, NULL, FIRST},
                                     {"stacks", no_argument, NULL, STACKS},
                                     {"no-rseq", no_argument, NULL, NORSEQ},
                                     {"units", no_argument, NULL, UNITS},
                                     {"not-closed", no_argument, NULL, NOTCLOSED},
                                     {"execed", no_argument, NULL, EXECED},
                                     {"dropped", required_argument, NULL, DROPPED},
                                     {"pid", required_argument, NULL, PID},
                                     {"exec-seq", required_argument, NULL, EXECSEQ},
                                     {"cmdline", required_argument, NULL, CMDLINE},
                                     {"host", required_argument, NULL, HOST},
                                     {"thread-name", required_argument, NULL, TNAME},
                                     {"reserve", required_argument, NULL, RESERVE},
                                     {"cut-back", required_argument, NULL, CUT},
                                     {"zero-chunk", required_argument, NULL, ZERO},
                                     {"torn-every", required_argument, NULL, TORN},
                                     {"expect", required_argument, NULL, EXPECT},
                                     {"mono-anchor", required_argument, NULL, MONO},
                                     {"real-anchor", required_argument, NULL, REAL},
                                     {"boot-id", required_argument, NULL, BOOTID},
                                     {"help", no_argument, NULL, 'h'},
                                     {NULL, 0, NULL, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "o:m:n:t:h", lo, NULL)) != -1) {
    switch (c) {
    case 'o':
      gen_opt.out = optarg;
      break;
    case 'm':
      gen_opt.model = optarg;
      break;
    case 'n':
      gen_opt.events = strtoull(optarg, NULL, 0);
      break;
    case 't':
      gen_opt.threads = (unsigned)strtoul(optarg, NULL, 0);
      break;
    case CAP:
      gen_opt.capacity = (unsigned)strtoul(optarg, NULL, 0);
      break;
    case SEED:
      gen_opt.seed = strtoull(optarg, NULL, 0);
      break;
    case SPLIT:
      gen_opt.split = 1;
      break;
    case FIRST:
      gen_opt.phases_first = 1;
      break;
    case STACKS:
      gen_opt.stacks = 1;
      break;
    case NORSEQ:
      gen_opt.no_rseq = 1;
      break;
    case UNITS:
      gen_opt.units = 1;
      break;
    case NOTCLOSED:
      gen_opt.not_closed = 1;
      break;
    case EXECED:
      gen_opt.execed = 1;
      break;
    case DROPPED:
      gen_opt.dropped = strtoull(optarg, NULL, 0);
      break;
    case PID:
      gen_opt.pid = (unsigned)strtoul(optarg, NULL, 0);
      break;
    case EXECSEQ:
      gen_opt.exec_seq = (unsigned)strtoul(optarg, NULL, 0);
      break;
    case CMDLINE:
      gen_opt.cmdline = optarg;
      break;
    case HOST:
      gen_opt.host = optarg;
      break;
    case MONO:
      gen_opt.mono_anchor = strtoull(optarg, NULL, 0);
      break;
    case REAL:
      gen_opt.real_anchor = strtoull(optarg, NULL, 0);
      break;
    case BOOTID:
      gen_opt.boot_id = optarg;
      break;
    case TNAME:
      gen_opt.thread_name = optarg;
      break;
    case RESERVE:
      gen_opt.reserve = strtoull(optarg, NULL, 0);
      break;
    case CUT:
      gen_opt.cut_back = strtoull(optarg, NULL, 0);
      break;
    case ZERO:
      gen_opt.zero_chunk = strtol(optarg, NULL, 0);
      break;
    case TORN:
      gen_opt.torn_every = strtol(optarg, NULL, 0);
      break;
    case EXPECT:
      gen_opt.expect = optarg;
      break;
    case 'h':
      usage(stdout);
      exit(0);
    default:
      usage(stderr);
      return -1;
    }
  }
  model = gen_model_find(gen_opt.model);
  if (!gen_opt.out || !model || gen_opt.threads < 1 || gen_opt.threads > GEN_MAX_THREADS ||
      gen_opt.capacity < 1) { /* --events 0: a process that made no traced call */
    usage(stderr);
    return -1;
  }
  /* These models describe one thread; the thread-per-connection one needs several. */
  if (strcmp(model->name, "single") == 0 || strcmp(model->name, "signal") == 0 ||
      strcmp(model->name, "sleeper") == 0 || strcmp(model->name, "banner") == 0 ||
      strcmp(model->name, "mail") == 0)
    gen_opt.threads = 1;
  if ((strcmp(model->name, "tpc") == 0 || strcmp(model->name, "tpc-poll") == 0 ||
       strcmp(model->name, "pool") == 0) &&
      gen_opt.threads < 2)
    gen_opt.threads = 4;
  return 0;
}

static void fill_header(struct iot_file_header *h) {
  size_t n = 0;
  const char *p;
  memset(h, 0, sizeof *h);
  memcpy(h->magic, IOT_MAGIC, sizeof h->magic);
  h->version = IOT_VERSION;
  h->header_size = IOT_HEADER_SIZE;
  h->event_size = sizeof(struct iot_event);
  h->chunk_align = IOT_CHUNK_ALIGN;
  h->flags = (gen_opt.stacks ? IOT_HF_STACKS : 0) | (gen_opt.split ? IOT_HF_SPLIT : 0) |
             (gen_opt.no_rseq ? IOT_HF_NO_RSEQ : 0) | (gen_opt.not_closed ? 0 : IOT_HF_CLOSED) |
             (gen_opt.execed ? IOT_HF_EXECED : 0) | (gen_opt.dropped ? IOT_HF_FULL : 0);
  h->pid = gen_opt.pid;
  h->ppid = 1;
  h->stack_depth = gen_opt.stacks ? 8 : 0;
  h->pollfd_size = 8;
  h->epoll_event_size = 12;
  h->mono_anchor_ns = gen_opt.mono_anchor ? gen_opt.mono_anchor : 1000000000000ull;
  /* 2026-11-18, fixed so golden files hold */
  h->real_anchor_ns = gen_opt.real_anchor ? gen_opt.real_anchor : 1795000000123456789ull;
  h->dropped_events = gen_opt.dropped;
  h->exec_seq = gen_opt.exec_seq;
  snprintf(h->host, sizeof h->host, "%s", gen_opt.host);
  for (size_t i = 0; gen_opt.boot_id && i < sizeof h->boot_id && gen_opt.boot_id[2 * i]; i++) {
    char byte[3] = {gen_opt.boot_id[2 * i], gen_opt.boot_id[2 * i + 1], 0};
    h->boot_id[i] = (unsigned char)strtoul(byte, NULL, 16);
  }
  /* The command line is stored NUL-separated: split the option at spaces. */
  for (p = gen_opt.cmdline; *p && n < sizeof h->cmdline - 1; p++)
    h->cmdline[n++] = *p == ' ' ? '\0' : *p;
  h->cmdline[n++] = '\0';
  h->cmdline_len = (uint32_t)n;
}

int main(int argc, char **argv) {
  struct iot_file_header h;
  uint64_t per_thread, rounds, nchunks, used, file_len, off, slot_no = 0, end = 0;
  uint32_t size, r, t;
  unsigned char *buf;
  FILE *f;
  char fields[512];
  if (parse(argc, argv) < 0)
    return 1;
  fill_header(&h);
  per_thread = gen_opt.events;
  rounds = (per_thread + gen_opt.capacity - 1) / gen_opt.capacity;
  nchunks = rounds * gen_opt.threads;
  size = chunk_size(gen_opt.capacity, gen_opt.stacks);
  used = IOT_HEADER_SIZE + (gen_opt.stacks ? 2 * IOT_CHUNK_ALIGN : 0) + nchunks * size;
  file_len = gen_opt.cut_back ? used - gen_opt.cut_back : used + gen_opt.reserve;
  h.used_bytes = used;
  for (t = 0; t < gen_opt.threads; t++) {
    threads[t].index = t;
    threads[t].tid = t == 0 ? gen_opt.pid : gen_opt.pid + 1 + t;
    threads[t].rng = (gen_opt.seed * 0x9e3779b97f4a7c15ull) ^ (t + 1) * 0xbf58476d1ce4e5b9ull;
    threads[t].clock = 1000 + t * 777;
  }
  if (gen_opt.expect)
    expect = gen_expect_new(&h);
  buf = malloc(size);
  f = fopen(gen_opt.out, "w+b");
  if (!buf || !f) {
    perror(gen_opt.out);
    return 1;
  }
  fwrite(&h, 1, sizeof h, f); /* rewritten at the end, once the end time is known */
  off = gen_opt.stacks ? write_stacks(f, IOT_HEADER_SIZE) : IOT_HEADER_SIZE;
  /* Threads claim chunks in turn, as concurrent threads of a real process would. */
  for (r = 0; r < rounds; r++) {
    for (t = 0; t < gen_opt.threads; t++, off += size) {
      struct gen_thread *th = &threads[t];
      struct iot_chunk c;
      uint32_t n = (uint32_t)(per_thread - (uint64_t)r * gen_opt.capacity), i;
      int zeroed =
          (long)(off - IOT_HEADER_SIZE - (gen_opt.stacks ? 2048 : 0)) / size == gen_opt.zero_chunk;
      char name[16];
      if (n > gen_opt.capacity)
        n = gen_opt.capacity;
      if (t == 0 && gen_opt.thread_name)
        snprintf(name, sizeof name, "%s", gen_opt.thread_name);
      else
        snprintf(name, sizeof name, t == 0 ? "gen-main" : "worker-%u", t);
      memset(buf, 0, size);
      fill_chunk_header(&c, IOT_CHUNK_EVENTS, gen_opt.stacks ? IOT_CF_SITES : 0, size, th->tid, n,
                        r, gen_opt.capacity, name);
      memcpy(buf, &c, sizeof c);
      for (i = 0; i < n; i++) {
        struct gen_event *g = next_event(th);
        uint64_t slot_off = off + sizeof c + (uint64_t)i * 32;
        int in_file = off + sizeof c <= file_len && slot_off + 32 <= file_len;
        int torn = gen_opt.torn_every > 0 &&
                   slot_no++ % gen_opt.torn_every == (uint64_t)gen_opt.torn_every - 1;
        struct iot_event e = g->e;
        g->alive = !torn && !zeroed && in_file;
        if (torn && !zeroed && in_file && expect)
          gen_expect_torn(expect, 1);
        if (torn)
          e.call = IOT_CALL_NONE;
        memcpy(buf + sizeof c + (size_t)i * 32, &e, sizeof e);
        if (gen_opt.stacks)
          memcpy(buf + sizeof c + (size_t)gen_opt.capacity * 32 + (size_t)i * 4, &g->site, 4);
        group_done(th);
      }
      if (zeroed)
        memset(buf, 0, size);
      fwrite(buf, 1, size, f);
    }
  }
  for (t = 0; t < gen_opt.threads; t++) {
    finish_thread(&threads[t]);
    if (threads[t].clock > end)
      end = threads[t].clock;
  }
  if (!gen_opt.not_closed)
    h.end_mono_ns = h.mono_anchor_ns + end;
  memset(buf, 0, size);
  for (off = 0; off < gen_opt.reserve; off += size)
    fwrite(buf, 1, gen_opt.reserve - off < size ? gen_opt.reserve - off : size, f);
  fflush(f);
  if (gen_opt.cut_back && ftruncate(fileno(f), (off_t)file_len) < 0)
    perror("ftruncate");
  fseek(f, 0, SEEK_SET);
  fwrite(&h, 1, sizeof h, f);
  if (fclose(f) != 0) {
    perror(gen_opt.out);
    return 1;
  }
  if (expect) {
    FILE *x = fopen(gen_opt.expect, "w");
    if (!x) {
      perror(gen_opt.expect);
      return 1;
    }
    snprintf(fields, sizeof fields,
             "\"pid\":%u,\"threads\":%u,\"closed\":%s,\"truncated\":%s,\"damaged_ranges\":%d,"
             "\"dropped_events\":%llu,\"duration_ns\":%llu,\"model\":\"%s\"",
             gen_opt.pid, gen_opt.threads, gen_opt.not_closed ? "false" : "true",
             gen_opt.cut_back ? "true" : "false", gen_opt.zero_chunk >= 0 ? 1 : 0,
             (unsigned long long)gen_opt.dropped, (unsigned long long)end, model->diagnosis);
    gen_expect_write(expect, x, fields);
    fclose(x);
  }
  free(buf);
  return 0;
}
