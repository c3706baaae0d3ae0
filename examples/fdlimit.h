/* fdlimit.h: raises the open-file limit so one process can hold thousands of sockets. */
#ifndef EXAMPLES_FDLIMIT_H
#define EXAMPLES_FDLIMIT_H

#include <sys/resource.h>

/* Raises the soft RLIMIT_NOFILE to the hard limit and returns the soft limit now in force.
 * Says so on stderr, prefixed with prog, if that limit is below want. */
rlim_t fdlimit_raise(const char *prog, rlim_t want);

#endif
