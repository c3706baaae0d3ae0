/* Text for a terminal: every string that came from a trace or a file name passes through here. */
#ifndef IOTV_TERM_H
#define IOTV_TERM_H

#include <stddef.h>
#include <stdio.h>

/* The printable form of s into out (cap bytes, always NUL-terminated): C0 and C1 controls, DEL,
 * backslash and bytes that are not UTF-8 as \xNN, so no byte of it can steer a terminal.
 * Returns the length written. */
size_t iotv_term_escape(char *out, size_t cap, const char *s);
/* The same, written to f without a length limit. */
void iotv_term_str(FILE *f, const char *s);
/* printf, then the whole line escaped as above: for messages that quote file names or trace
 * contents. */
void iotv_term_printf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The width of the terminal standard output is, 0 when it is not one. */
unsigned iotv_terminal_columns(void);

#endif
