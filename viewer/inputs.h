/* Input files of a command: FILE arguments (a directory stands for its *.trace files), opened. */
#ifndef IOTV_INPUTS_H
#define IOTV_INPUTS_H

#include <stddef.h>

struct iotv_inputs {
  char **paths;
  size_t n;
  int failed; /* a directory could not be listed: the exit status must say so */
};

/* Expands argv[0..argc); 0 on success, -1 when out of memory. */
int iotv_inputs_expand(struct iotv_inputs *in, int argc, char **argv);
void iotv_inputs_free(struct iotv_inputs *in);

struct iotv_trace;
/* Expands the arguments and opens every file as a trace, reporting the ones that fail; *status
 * becomes 2 if any input was missing, unreadable or damaged. Returns the *n traces opened (an
 * array to pass to iotv_close_traces), or NULL when out of memory. */
struct iotv_trace *iotv_open_traces(int argc, char **argv, size_t *n, int *status);
void iotv_close_traces(struct iotv_trace *tr, size_t n);

#endif
