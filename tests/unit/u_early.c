/* Prints what its library's constructor saw: the calls made before the shim was initialised. */
#include <stdio.h>

extern char u_early_report[];

int main(void) {
  printf("%s\n", u_early_report);
  return 0;
}
