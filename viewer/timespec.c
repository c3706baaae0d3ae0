/* Parsing of the times given on the command line ("1.5s", "200ms", "30us", "10ns"). */
#include "timespec.h"

#include <stdlib.h>
#include <string.h>

int iotv_parse_time(const char *s, uint64_t *ns) {
  static const struct {
    const char *suffix;
    double scale;
  } units[] = {{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"", 1e9}};
  char *end;
  double v = strtod(s, &end);
  size_t i;
  if (end == s || v < 0)
    return -1;
  for (i = 0; i < sizeof units / sizeof units[0]; i++) {
    if (strcmp(end, units[i].suffix) == 0) {
      double r = v * units[i].scale;
      if (r > 1.8e19)
        return -1;
      *ns = (uint64_t)(r + 0.5);
      return 0;
    }
  }
  return -1;
}
