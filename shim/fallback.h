/* Declarations of the raw-syscall stand-ins in fallback.c, one per real symbol. */
#ifndef IOT_FALLBACK_H
#define IOT_FALLBACK_H
#include "real.h"
#define IOT_FALLBACK_DECLARE(name) extern __typeof__(name) iot_fallback_##name;
IOT_REAL_SYMBOLS(IOT_FALLBACK_DECLARE)
#undef IOT_FALLBACK_DECLARE
#endif
