/* The timeline command (not written yet). */
#include <stdio.h>

#include "cmds.h"

int iotv_cmd_timeline(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "iotrace timeline: not implemented yet\n");
  return IOTV_EXIT_USAGE;
}
