/* Blocks every signal around a short section that a handler must neither interrupt nor leave
 * half done with siglongjmp (the fd table's lock, a chunk being claimed). */
#ifndef IOT_SIGBLOCK_H
#define IOT_SIGBLOCK_H
#include <stdint.h>

struct iot_sigblock {
  uint64_t old_mask;
  int masked;
};
/* Raw rt_sigprocmask, so no libc wrapper's bookkeeping runs; errno is kept.  Once sandboxed it
 * does nothing (it would be a call the program did not ask for): masked stays 0. */
void iot_sigblock(struct iot_sigblock *b);
void iot_sigrestore(struct iot_sigblock *b);
#endif
