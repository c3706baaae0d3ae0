/* Input files of a command: FILE arguments, with each directory standing for its *.trace files. */
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

#endif
