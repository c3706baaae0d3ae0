/* The iotrace trace file format: one definition shared by the shim that writes and the viewer that
 * reads. */
#ifndef IOTRACE_FORMAT_H
#define IOTRACE_FORMAT_H

#include <stdint.h>

/*
 * A trace file is a 4096-byte header followed by chunks.  Every chunk starts
 * on a multiple of IOT_CHUNK_ALIGN with a struct iot_chunk; a chunk belongs
 * to one thread and only that thread writes into it, so recording needs no
 * lock.  docs/trace-format.md is the prose specification.
 */
#define IOT_MAGIC "IOTRACE\0"
#define IOT_VERSION 1
#define IOT_HEADER_SIZE 4096u
#define IOT_CHUNK_ALIGN 1024u
#define IOT_CHUNK_MAGIC 0x4354494fu /* "OITC" little-endian */

/* The calls, as an X-macro: X(ENUM_SUFFIX, "name").  Ids are stable: append only. */
#define IOT_CALLS(X)                                                                               \
  X(SELECT, "select")                                                                              \
  X(PSELECT, "pselect")                                                                            \
  X(POLL, "poll")                                                                                  \
  X(PPOLL, "ppoll")                                                                                \
  X(EPOLL_CREATE, "epoll_create")                                                                  \
  X(EPOLL_CREATE1, "epoll_create1")                                                                \
  X(EPOLL_CTL, "epoll_ctl")                                                                        \
  X(EPOLL_WAIT, "epoll_wait")                                                                      \
  X(EPOLL_PWAIT, "epoll_pwait")                                                                    \
  X(EPOLL_PWAIT2, "epoll_pwait2")                                                                  \
  X(RECV, "recv")                                                                                  \
  X(RECVFROM, "recvfrom")                                                                          \
  X(RECVMSG, "recvmsg")                                                                            \
  X(RECVMMSG, "recvmmsg")                                                                          \
  X(READ, "read")                                                                                  \
  X(READV, "readv")                                                                                \
  X(ACCEPT, "accept")                                                                              \
  X(ACCEPT4, "accept4")                                                                            \
  X(PHASE_WAIT, "wait")                                                                            \
  X(PHASE_COPY, "copy")

enum iot_call {
  IOT_CALL_NONE = 0, /* an empty or torn slot */
#define IOT_CALL_ENUM(name, str) IOT_CALL_##name,
  IOT_CALLS(IOT_CALL_ENUM)
#undef IOT_CALL_ENUM
      IOT_CALL_COUNT
};

/* Event flags (struct iot_event.flags). */
#define IOT_EF_BLOCKED 0x01       /* the thread left the CPU during the call */
#define IOT_EF_WOULDBLOCK 0x02    /* returned EAGAIN/EWOULDBLOCK */
#define IOT_EF_BLOCK_UNKNOWN 0x04 /* no rseq area: blocked could not be measured */
#define IOT_EF_DUR_SHIFT 3        /* 2 bits: unit of dur, see below */
#define IOT_EF_DUR_MASK 0x18
#define IOT_DUR_NS 0
#define IOT_DUR_US 1
#define IOT_DUR_MS 2
/* Bits 5..7 depend on the call. */
#define IOT_EF_SEL_READ 0x20   /* select: a read set was passed */
#define IOT_EF_SEL_WRITE 0x40  /* select: a write set was passed */
#define IOT_EF_SEL_EXCEPT 0x80 /* select: an except set was passed */
#define IOT_EF_SATURATED 0x20  /* recv family: result or arg did not fit 32 bits */
#define IOT_EF_HAS_PHASES 0x40 /* recv family: split into the wait and copy events before it */
#define IOT_EF_EP_ET 0x20        /* epoll_ctl ADD/MOD: EPOLLET was asked for */
#define IOT_EF_EP_ONESHOT 0x40   /* epoll_ctl ADD/MOD: EPOLLONESHOT */
#define IOT_EF_EP_EXCLUSIVE 0x80 /* epoll_ctl ADD: EPOLLEXCLUSIVE */

/*
 * One call, 32 bytes.  What arg, aux and result hold depends on the call:
 *
 *   call                 fd       arg             aux                result
 *   select, pselect      -1       nfds            fds watched        ready count
 *   poll, ppoll          -1       nfds            fds watched (>=0)  ready count
 *   epoll_create[1]      -1       size or flags   0                  new epoll fd
 *   epoll_ctl            epfd     op              target fd          0 or -1
 *   epoll_wait, pwait[2] epfd     maxevents       interest set size  ready count
 *   recv, recvfrom, read fd       bytes asked     0                  bytes copied
 *   readv, recvmsg       fd       bytes asked     iov count          bytes copied
 *   recvmmsg             fd       vlen            bytes copied       messages
 *   accept, accept4      fd       0               0                  new fd
 *   wait (split phase)   fd       0               0                  0 or -1
 *   copy (split phase)   fd       bytes asked     0                  bytes copied
 *
 * The interest set size is IOT_UNKNOWN when the shim could not know it, and so
 * is select's fds watched when a set was unreadable (the call then failed
 * with EFAULT).
 */
#define IOT_UNKNOWN 0xffffffffu

struct iot_event {
  uint64_t start_ns; /* CLOCK_MONOTONIC minus the header's mono_anchor_ns */
  uint32_t dur;      /* in the unit named by the flags */
  uint8_t call;      /* enum iot_call; written last, so 0 marks a torn slot */
  uint8_t flags;     /* IOT_EF_* */
  uint16_t err;      /* errno when the call failed, else 0 */
  int32_t fd;
  int32_t result; /* the return value, saturated to 32 bits */
  uint32_t arg;
  uint32_t aux;
};

/* Header flags (struct iot_file_header.flags). */
#define IOT_HF_STACKS 0x01    /* events chunks carry call-site ids */
#define IOT_HF_SPLIT 0x02     /* IOTRACE_SPLIT: blocking reads split into wait + copy */
#define IOT_HF_NO_RSEQ 0x04   /* no rseq area: blocked was not measured */
#define IOT_HF_CLOSED 0x08    /* the process ended normally and the file is complete */
#define IOT_HF_EXECED 0x10    /* the process called exec: a later file continues it */
#define IOT_HF_FULL 0x20      /* space ran out: events after that were dropped */
#define IOT_HF_CMD_TRUNC 0x40 /* the command line did not fit */

struct iot_file_header {
  char magic[8];        /* IOT_MAGIC */
  uint32_t version;     /* IOT_VERSION */
  uint32_t header_size; /* IOT_HEADER_SIZE */
  uint32_t event_size;  /* sizeof(struct iot_event) */
  uint32_t chunk_align; /* IOT_CHUNK_ALIGN */
  uint32_t flags;       /* IOT_HF_* */
  uint32_t pid;
  uint32_t ppid;
  uint32_t stack_depth;      /* IOTRACE_STACK, 0 when off */
  uint32_t pollfd_size;      /* sizeof(struct pollfd) in the traced process */
  uint32_t epoll_event_size; /* sizeof(struct epoll_event) in the traced process */
  uint64_t mono_anchor_ns;   /* CLOCK_MONOTONIC when the file was created */
  uint64_t real_anchor_ns;   /* CLOCK_REALTIME at the same instant */
  uint64_t end_mono_ns;      /* CLOCK_MONOTONIC at exit or exec, 0 while running */
  uint64_t used_bytes;       /* end of the last chunk handed out (file offset) */
  uint64_t dropped_events;   /* events lost because space ran out */
  uint64_t dropped_stacks;   /* call sites not recorded (table full) */
  uint32_t exec_seq;         /* 0 for the first image of this pid, +1 per exec */
  uint32_t cmdline_len;      /* bytes used in cmdline, NUL-separated arguments */
  char host[64];             /* NUL-terminated */
  uint64_t
      proc_start_ticks; /* the process's start time (/proc/PID/stat field 22): same across exec */
  unsigned char boot_id[16]; /* /proc/sys/kernel/random/boot_id as bytes; all 0 if unknown */
  char reserved[232];
  char cmdline[IOT_HEADER_SIZE - 424]; /* what fits of argv, NUL-separated */
};

/* Chunk types. */
#define IOT_CHUNK_EVENTS                                                                           \
  1 /* struct iot_event[capacity], then uint32_t site[capacity] if IOT_CF_SITES */
#define IOT_CHUNK_STACKS 2  /* struct iot_stack_rec entries, 8-byte aligned */
#define IOT_CHUNK_MODULES 3 /* struct iot_module_rec entries, 8-byte aligned */
#define IOT_CHUNK_NOTES 4   /* struct iot_note_rec entries: what the shim said, 8-byte aligned */
#define IOT_CHUNK_BUILDIDS 5 /* struct iot_buildid_rec entries, 8-byte aligned */

#define IOT_CF_SITES 0x01 /* events chunk: a call-site id array follows the events */

struct iot_chunk {
  uint32_t magic;    /* IOT_CHUNK_MAGIC, written last when the chunk is claimed */
  uint16_t type;     /* IOT_CHUNK_* */
  uint16_t flags;    /* IOT_CF_* */
  uint32_t size;     /* bytes, this header included; a multiple of IOT_CHUNK_ALIGN */
  uint32_t tid;      /* the thread that owns the chunk */
  uint32_t used;     /* events: slots reserved; others: payload bytes used */
  uint32_t seq;      /* per-thread chunk number, in the order they were claimed */
  uint32_t capacity; /* events: slots in the chunk; others: payload bytes */
  uint32_t reserved0;
  char thread_name[16]; /* the thread's name when the chunk was claimed */
  uint64_t reserved1[2];
};

/* A call site: frames[0] is the caller of the traced function. */
#define IOT_STACK_COMMIT 0x5354u
struct iot_stack_rec {
  uint32_t id; /* > 0; referenced from an events chunk's site array */
  uint16_t nframes;
  uint16_t commit; /* IOT_STACK_COMMIT once the frames are written */
  uint64_t ip[];   /* return addresses */
};

/* An executable mapping, so the viewer can name a frame module+offset. */
#define IOT_MODULE_COMMIT 0x4d4fu
struct iot_module_rec {
  uint64_t start;       /* mapping's first address */
  uint64_t end;         /* one past its last address */
  uint64_t file_offset; /* file offset mapped at start */
  uint16_t path_len;    /* bytes of path, without a NUL */
  uint16_t commit;      /* IOT_MODULE_COMMIT once written */
  uint32_t reserved;
  char path[]; /* padded with NULs to 8 bytes */
};

/* The GNU build id of a module's file as it was mapped, so the viewer can tell a rebuilt file
 * from the one traced and find its debug symbols (/usr/lib/debug/.build-id/). */
#define IOT_BUILDID_COMMIT 0x4249u
struct iot_buildid_rec {
  uint64_t start;    /* the start of the MODULES record it belongs to */
  uint16_t len;      /* bytes of id, at most 64 */
  uint16_t commit;   /* IOT_BUILDID_COMMIT once written */
  uint32_t reserved;
  unsigned char id[]; /* padded with zeros to 8 bytes */
};

/*
 * A message of the shim ("cannot grow: ...", a setting it did not understand), kept in the trace
 * because the program's own stderr is no place for it.  Readers that predate this type skip the
 * chunk as unknown; the text is not NUL-terminated and may hold any byte.
 */
#define IOT_NOTE_COMMIT 0x4e54u
struct iot_note_rec {
  uint64_t time_ns; /* CLOCK_MONOTONIC minus the header's mono_anchor_ns; 0 if said before it */
  uint16_t len;     /* bytes of text */
  uint16_t commit;  /* IOT_NOTE_COMMIT once written */
  uint32_t reserved;
  char text[]; /* padded with NULs to 8 bytes */
};

_Static_assert(sizeof(struct iot_event) == 32, "an event is 32 bytes");
_Static_assert(sizeof(struct iot_file_header) == IOT_HEADER_SIZE, "the header is one page");
_Static_assert(sizeof(struct iot_chunk) == 64, "a chunk header is 64 bytes");

/* Decoded duration of an event, in ns. */
static inline uint64_t iot_event_dur_ns(const struct iot_event *e) {
  uint64_t d = e->dur;
  switch ((e->flags & IOT_EF_DUR_MASK) >> IOT_EF_DUR_SHIFT) {
  case IOT_DUR_US:
    return d * 1000u;
  case IOT_DUR_MS:
    return d * 1000000u;
  default:
    return d;
  }
}

/* Bytes of the select bitmaps the kernel copies per set: nfds rounded up to longs. */
static inline uint64_t iot_fdset_bytes(uint32_t nfds) {
  return ((uint64_t)nfds + 63u) / 64u * 8u;
}

/*
 * Bytes that crossed between the process and the kernel for one event, as
 * docs/kernel-costs.md derives them.  Payload for reads, bookkeeping for
 * the multiplexers.
 */
static inline void iot_event_bytes(const struct iot_event *e, const struct iot_file_header *h,
                                   uint64_t *to_kernel, uint64_t *to_user) {
  uint64_t in = 0, out = 0;
  switch (e->call) {
  case IOT_CALL_SELECT:
  case IOT_CALL_PSELECT: {
    unsigned sets = !!(e->flags & IOT_EF_SEL_READ) + !!(e->flags & IOT_EF_SEL_WRITE) +
                    !!(e->flags & IOT_EF_SEL_EXCEPT);
    in = sets * iot_fdset_bytes(e->arg);
    out = e->result >= 0 ? in : 0;
    break;
  }
  case IOT_CALL_POLL:
  case IOT_CALL_PPOLL:
    if (!(e->result < 0 && (e->err == 14 /* EFAULT */ || e->err == 22 /* EINVAL */))) {
      in = (uint64_t)e->arg * h->pollfd_size;
      out = (uint64_t)e->arg * sizeof(int16_t); /* only revents goes back */
    }
    break;
  case IOT_CALL_EPOLL_CTL:
    in = (e->arg != 2 /* EPOLL_CTL_DEL */) ? h->epoll_event_size : 0;
    break;
  case IOT_CALL_EPOLL_WAIT:
  case IOT_CALL_EPOLL_PWAIT:
  case IOT_CALL_EPOLL_PWAIT2:
    out = e->result > 0 ? (uint64_t)e->result * h->epoll_event_size : 0;
    break;
  case IOT_CALL_RECVMMSG:
    out = e->aux;
    break;
  case IOT_CALL_RECV:
  case IOT_CALL_RECVFROM:
  case IOT_CALL_RECVMSG:
  case IOT_CALL_READ:
  case IOT_CALL_READV:
  case IOT_CALL_PHASE_COPY:
    out = e->result > 0 ? (uint64_t)e->result : 0;
    break;
  default:
    break;
  }
  *to_kernel = in;
  *to_user = out;
}

#endif
