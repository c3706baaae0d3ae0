/* The export command (not written yet). */
#include <stdio.h>

#include "cmds.h"

int iotv_cmd_export(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "iotrace export: not implemented yet\n");
  return IOTV_EXIT_USAGE;
}
