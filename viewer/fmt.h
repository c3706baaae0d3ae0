/* Output helpers: grouped numbers, durations, wall-clock times and escaping for JSON, CSV and HTML.
 */
#ifndef IOTV_FMT_H
#define IOTV_FMT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* "1,234,567" into buf (at least 32 bytes); returns buf. */
char *iotv_fmt_count(char *buf, uint64_t v);
/* A duration with a unit picked for it: "812 ns", "3.40 us", "12.5 ms", "2.001 s". */
char *iotv_fmt_dur(char *buf, size_t len, uint64_t ns);
/* An axis tick at ns, with enough decimals that ticks step ns apart differ: "1.0002 s". */
char *iotv_fmt_tick(char *buf, size_t len, uint64_t ns, uint64_t step);
/* CLOCK_REALTIME ns as "2026-11-23 16:16:20.123 UTC". */
char *iotv_fmt_wallclock(char *buf, size_t len, uint64_t realtime_ns);

/* A JSON string literal, quotes included; invalid UTF-8 becomes U+FFFD so the output stays JSON,
 * and < > & are escaped so it can be embedded in HTML. */
void iotv_json_str(FILE *f, const char *s);
void iotv_json_strn(FILE *f, const char *s, size_t n);
/* A CSV field, always quoted, doubled quotes; a leading = + - @ gets a ' so spreadsheets do not
 * run it as a formula. */
void iotv_csv_str(FILE *f, const char *s);
/* Text for HTML and SVG: & < > " ' as entities, control characters dropped. */
void iotv_xml_str(FILE *f, const char *s);
/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 if it is not one. */
size_t iotv_utf8_len(const unsigned char *s, size_t n);
/* Terminal text has its own file, which every text output uses. */
#include "term.h"

#endif
