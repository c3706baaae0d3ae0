/* loadgen_opts.h: the load generator's command line. */
#ifndef EXAMPLES_LOADGEN_OPTS_H
#define EXAMPLES_LOADGEN_OPTS_H

#include <stddef.h>
#include <stdint.h>

struct loadgen_opts {
  const char *host; /* an IPv4 address in 127.0.0.0/8 */
  int port;
  int connections;    /* opened and held for the whole run */
  int active;         /* of which this many send messages */
  size_t size;        /* bytes per message */
  double rate;        /* messages per second over all connections; 0: closed loop */
  double duration;    /* seconds of sending; 0: until count */
  uint64_t count;     /* messages in all; 0: until duration */
  double timeout;     /* seconds the whole run may take, connecting included */
  int max_connecting; /* connects in flight at once during ramp-up */
  int json;           /* print the result as JSON */
};

/* Fills opts from the command line; prints usage and exits 2 on a bad option. */
void loadgen_parse_opts(int argc, char **argv, struct loadgen_opts *opts);

#endif
