/* Parsing of the times given on the command line ("1.5s", "200ms", "30us", "10ns"). */
#ifndef IOTV_TIMESPEC_H
#define IOTV_TIMESPEC_H

#include <stdint.h>

/* 0 and *ns set on success, -1 for text that is not a time. A bare number is seconds. */
int iotv_parse_time(const char *s, uint64_t *ns);

#endif
