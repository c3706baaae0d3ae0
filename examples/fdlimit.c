/* fdlimit.c: raises the open-file limit so one process can hold thousands of sockets. */
#include "fdlimit.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

rlim_t fdlimit_raise(const char *prog, rlim_t want) {
  struct rlimit lim;
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) {
    fprintf(stderr, "%s: getrlimit(RLIMIT_NOFILE): %s\n", prog, strerror(errno));
    return 0;
  }
  /* Linux refuses an unlimited RLIMIT_NOFILE (fs.nr_open caps it), so aim at its default cap. */
  rlim_t target = lim.rlim_max == RLIM_INFINITY ? (rlim_t)1 << 20 : lim.rlim_max;
  if (lim.rlim_cur < target) {
    rlim_t old = lim.rlim_cur;
    lim.rlim_cur = target;
    if (setrlimit(RLIMIT_NOFILE, &lim) != 0) {
      fprintf(stderr, "%s: could not raise RLIMIT_NOFILE from %llu to %llu: %s\n", prog,
              (unsigned long long)old, (unsigned long long)target, strerror(errno));
      lim.rlim_cur = old;
    }
  }
  if (lim.rlim_cur < want)
    fprintf(stderr, "%s: RLIMIT_NOFILE is %llu, below the %llu file descriptors needed\n", prog,
            (unsigned long long)lim.rlim_cur, (unsigned long long)want);
  return lim.rlim_cur;
}
