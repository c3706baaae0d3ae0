/* Resolves the real libc functions once (in the constructor, or lazily if called earlier). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>

#include "iot_shim.h"
#include "real.h"
#include "fallback.h"

void (*iot_real_vfork)(void);

/* IOTRACE_RAW_SYSCALLS=1 skips dlsym, to exercise the fallbacks (a diagnostic). */
static int iot_raw_only(void) {
  static int cached = -1;
  if (cached < 0) {
    const char *v = iot_setting("IOTRACE_RAW_SYSCALLS");
    cached = v && *v == '1';
  }
  return cached;
}

#define IOT_RESOLVE_DEFINE(name)                                                                   \
  __typeof__(name) *iot_real_##name;                                                               \
  __typeof__(name) *iot_resolve_##name(void) {                                                     \
    __typeof__(name) *f = iot_raw_only() ? NULL : (__typeof__(name) *)dlsym(RTLD_NEXT, #name);     \
    if (f == NULL)                                                                                 \
      f = iot_fallback_##name;                                                                     \
    __atomic_store_n(&iot_real_##name, f, __ATOMIC_RELEASE);                                       \
    return f;                                                                                      \
  }
IOT_REAL_SYMBOLS(IOT_RESOLVE_DEFINE)
#undef IOT_RESOLVE_DEFINE

void iot_real_resolve_all(void) {
#define IOT_RESOLVE_CALL(name) (void)IOT_REAL(name);
  IOT_REAL_SYMBOLS(IOT_RESOLVE_CALL)
#undef IOT_RESOLVE_CALL
  iot_real_vfork = (void (*)(void))dlsym(RTLD_NEXT, "vfork");
}
