/* The run command (not written yet). */
#include <stdio.h>

#include "cmds.h"

int iotv_cmd_run(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "iotrace run: not implemented yet\n");
  return IOTV_EXIT_USAGE;
}
