/* The export writers: each walks every event of a set of traces into one output format. */
#ifndef IOTV_EXPORT_H
#define IOTV_EXPORT_H

#include <stdint.h>
#include <stdio.h>

#include "reader.h"

/* base is the earliest anchor of all traces: times are written relative to it. */
void iotv_export_chrome(FILE *f, struct iotv_trace *tr, size_t n, uint64_t base);
void iotv_export_csv(FILE *f, struct iotv_trace *tr, size_t n, uint64_t base);

#endif
