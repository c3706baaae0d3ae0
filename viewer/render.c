/* The render command (not written yet). */
#include <stdio.h>

#include "cmds.h"

int iotv_cmd_render(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "iotrace render: not implemented yet\n");
  return IOTV_EXIT_USAGE;
}
