/* Whether a call blocked, measured through the rseq area: no system call added to the call. */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/rseq.h>

#include "iot_shim.h"

/*
 * glibc registers a struct rseq per thread.  Its rseq_cs field is cleared by the
 * kernel whenever it returns to user space after taking the thread off the CPU
 * (it slept, was preempted or migrated) or after delivering a signal, as long
 * as the thread is outside the critical section rseq_cs points to.  The shim
 * points rseq_cs at a descriptor whose critical section is never executed, and
 * reads it back after the call: cleared means the thread left the CPU.
 * The kernel checks the descriptor each time, so it must be valid: version 0,
 * abort_ip outside the section and preceded by the signature glibc registered.
 */
#if defined(__x86_64__)
#define IOT_RSEQ_SIG 0x53053053
__asm__(".pushsection .text\n"
        ".balign 16\n"
        ".long 0x53053053\n" /* IOT_RSEQ_SIG, just before the abort address */
        "iot_rseq_abort:\n"
        "ud2\n"
        "iot_rseq_section:\n"
        "ud2\n"
        ".popsection\n");
extern const char iot_rseq_abort[] __attribute__((visibility("hidden")));
extern const char iot_rseq_section[] __attribute__((visibility("hidden")));
#endif

static struct {
  uint32_t version, flags;
  uint64_t start_ip, post_commit_offset, abort_ip;
} __attribute__((aligned(32))) iot_rseq_desc;

extern const unsigned int __rseq_size __attribute__((weak));
extern const ptrdiff_t __rseq_offset __attribute__((weak));

int iot_rseq_ok;
ptrdiff_t iot_rseq_off;
const void *const iot_rseq_marker = &iot_rseq_desc;

void iot_blocked_init(void) {
#if defined(__x86_64__)
  if (&__rseq_size == NULL || &__rseq_offset == NULL || __rseq_size < 16)
    return; /* rseq_cs ends at byte 16; 0 means glibc did not register rseq (old glibc, tunable off,
               valgrind) */
  iot_rseq_desc.version = 0;
  iot_rseq_desc.start_ip = (uint64_t)(uintptr_t)iot_rseq_section;
  iot_rseq_desc.post_commit_offset = 1;
  iot_rseq_desc.abort_ip = (uint64_t)(uintptr_t)iot_rseq_abort;
  iot_rseq_off = __rseq_offset;
  iot_rseq_ok = 1;
#endif
}
