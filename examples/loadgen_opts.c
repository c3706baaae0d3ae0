/* loadgen_opts.c: parses and checks the load generator's command line. */
#include "loadgen_opts.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

static void usage(void) {
  fputs("usage: loadgen [options]\n"
        "  -h ADDR   server address, loopback only (default 127.0.0.1)\n"
        "  -p PORT   server port (default 7000)\n"
        "  -c N      connections to open and hold (default 1)\n"
        "  -a M      of which M send messages, the rest stay idle (default N)\n"
        "  -s BYTES  message size (default 64)\n"
        "  -r RATE   messages per second over all connections (default: closed loop)\n"
        "  -d SECS   send for this long (default 5 unless -n is given)\n"
        "  -n COUNT  send this many messages in all\n"
        "  --timeout SECS         give up after this long in all (default 60, or -d plus 60)\n"
        "  --max-connecting K     connects in flight at once while ramping up (default 64)\n"
        "  --json    print the result as one JSON object\n",
        stderr);
  exit(2);
}

static double number(const char *s, double min, double max) {
  char *end;
  double v = strtod(s, &end);
  if (*s == '\0' || *end != '\0' || !(v >= min && v <= max))
    usage();
  return v;
}

static int is_loopback(const char *host) {
  struct in_addr a;
  return inet_pton(AF_INET, host, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

void loadgen_parse_opts(int argc, char **argv, struct loadgen_opts *o) {
  enum { OPT_TIMEOUT = 256, OPT_MAX_CONNECTING, OPT_JSON };
  static const struct option longs[] = {
      {"timeout", required_argument, NULL, OPT_TIMEOUT},
      {"max-connecting", required_argument, NULL, OPT_MAX_CONNECTING},
      {"json", no_argument, NULL, OPT_JSON},
      {"help", no_argument, NULL, '?'},
      {NULL, 0, NULL, 0}};
  *o = (struct loadgen_opts){
      .host = "127.0.0.1", .port = 7000, .connections = 1, .size = 64, .max_connecting = 64};
  int opt;
  while ((opt = getopt_long(argc, argv, "h:p:c:a:s:r:d:n:", longs, NULL)) != -1) {
    switch (opt) {
    case 'h':
      o->host = optarg;
      break;
    case 'p':
      o->port = (int)number(optarg, 1, 65535);
      break;
    case 'c':
      o->connections = (int)number(optarg, 1, 1000000);
      break;
    case 'a':
      o->active = (int)number(optarg, 1, 1000000);
      break;
    case 's':
      o->size = (size_t)number(optarg, 1, 1 << 24);
      break;
    case 'r':
      o->rate = number(optarg, 0.001, 1e9);
      break;
    case 'd':
      o->duration = number(optarg, 0.001, 86400);
      break;
    case 'n':
      o->count = (uint64_t)number(optarg, 1, 1e15);
      break;
    case OPT_TIMEOUT:
      o->timeout = number(optarg, 0.001, 86400 * 2);
      break;
    case OPT_MAX_CONNECTING:
      o->max_connecting = (int)number(optarg, 1, 100000);
      break;
    case OPT_JSON:
      o->json = 1;
      break;
    default:
      usage();
    }
  }
  if (optind != argc)
    usage();
  /* Load on anything but this machine's loopback is not what this tool is for. */
  if (!is_loopback(o->host)) {
    fprintf(stderr, "loadgen: %s is not a loopback IPv4 address (127.0.0.0/8)\n", o->host);
    exit(2);
  }
  if (o->active == 0)
    o->active = o->connections;
  if (o->active > o->connections) {
    fprintf(stderr, "loadgen: -a %d is more than the %d connections\n", o->active, o->connections);
    exit(2);
  }
  if (o->duration == 0 && o->count == 0)
    o->duration = 5;
  if (o->timeout == 0)
    o->timeout = o->duration + 60;
}
