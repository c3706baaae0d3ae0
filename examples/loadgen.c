/* loadgen.c: opens many loopback connections to an echo server, sends messages on some of them,
 * checks every echoed byte and measures the round trips. */
#include "fdlimit.h"
#include "loadgen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS 512
#define MAX_SHOWN_ERRORS 10

enum state { CONNECTING, READY, AWAITING, DEAD };

struct conn {
  int fd;
  enum state state;
  int active;
  int watching_out;      /* EPOLLOUT is in the interest set */
  uint32_t seq;          /* messages begun on this connection */
  size_t sent, received; /* bytes of the current message */
  uint64_t started_ns;   /* when the current message was sent */
  unsigned char *msg;    /* the current message; active connections only */
};

struct run {
  const struct loadgen_opts *o;
  struct conn *conns;
  int epfd;
  int *ready; /* ring of active connections with no message outstanding */
  int ready_head, ready_count;
  uint64_t begun;     /* messages started */
  uint64_t last_echo; /* when the last echo completed */
  int outstanding;    /* messages started and not yet echoed whole */
  int live_active;    /* active connections not dropped for an error */
  struct loadgen_result res;
  unsigned char scratch[65536];
};

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Milliseconds from now until t, rounded up so that the wait does not end early. */
static int ms_until(uint64_t t, uint64_t now) {
  if (t <= now)
    return 0;
  uint64_t ms = (t - now + 999999) / 1000000;
  return ms > INT_MAX ? INT_MAX : (int)ms;
}

static void count_error(struct run *r, const char *fmt, va_list ap) {
  if (r->res.errors++ < MAX_SHOWN_ERRORS) {
    fputs("loadgen: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
  } else if (r->res.errors == MAX_SHOWN_ERRORS + 1) {
    fputs("loadgen: further errors are counted, not shown\n", stderr);
  }
}

static void error(struct run *r, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  count_error(r, fmt, ap);
  va_end(ap);
}

/* Counts an error and closes the connection: after a bad echo it is out of step for good. */
static void drop(struct run *r, struct conn *c, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  count_error(r, fmt, ap);
  va_end(ap);
  if (c->state == AWAITING)
    r->outstanding--;
  if (c->active)
    r->live_active--;
  close(c->fd); /* also takes it out of the epoll set */
  c->fd = -1;
  c->state = DEAD;
}

/* Each message has its own bytes, drawn from the connection and sequence number, so that an
 * echo returned on the wrong connection, out of order or stale does not match. */
static void fill_message(unsigned char *msg, size_t size, uint32_t conn, uint32_t seq) {
  uint64_t x = (((uint64_t)conn << 32) | seq) * 0x9E3779B97F4A7C15u | 1;
  for (size_t i = 0; i < size; i += sizeof x) {
    x ^= x << 13; /* xorshift64 */
    x ^= x >> 7;
    x ^= x << 17;
    memcpy(msg + i, &x, size - i < sizeof x ? size - i : sizeof x);
  }
}

static void watch_out(struct run *r, struct conn *c, int on) {
  if (c->watching_out == on)
    return;
  struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | (on ? EPOLLOUT : 0),
                           .data.u32 = (uint32_t)(c - r->conns)};
  if (epoll_ctl(r->epfd, EPOLL_CTL_MOD, c->fd, &ev) != 0)
    drop(r, c, "epoll_ctl: %s", strerror(errno));
  else
    c->watching_out = on;
}

static void send_more(struct run *r, struct conn *c) {
  while (c->sent < r->o->size) {
    ssize_t n = send(c->fd, c->msg + c->sent, r->o->size - c->sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        watch_out(r, c, 1);
      else
        drop(r, c, "connection %ld: send: %s", (long)(c - r->conns), strerror(errno));
      return;
    }
    c->sent += (size_t)n;
    r->res.bytes_sent += (uint64_t)n;
  }
  watch_out(r, c, 0);
}

static void begin_message(struct run *r, struct conn *c, uint64_t t) {
  fill_message(c->msg, r->o->size, (uint32_t)(c - r->conns), c->seq++);
  c->sent = 0;
  c->received = 0;
  c->started_ns = t;
  c->state = AWAITING;
  r->begun++;
  r->outstanding++;
  send_more(r, c);
}

static void push_ready(struct run *r, struct conn *c) {
  int cap = r->o->active;
  r->ready[(r->ready_head + r->ready_count++) % cap] = (int)(c - r->conns);
}

static struct conn *pop_ready(struct run *r) {
  while (r->ready_count > 0) {
    struct conn *c = &r->conns[r->ready[r->ready_head]];
    r->ready_head = (r->ready_head + 1) % r->o->active;
    r->ready_count--;
    if (c->state == READY) /* skip those dropped while they waited */
      return c;
  }
  return NULL;
}

static void on_input(struct run *r, struct conn *c) {
  long id = (long)(c - r->conns);
  ssize_t n = recv(c->fd, r->scratch, sizeof r->scratch, 0);
  if (n < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
      drop(r, c, "connection %ld: recv: %s", id, strerror(errno));
    return;
  }
  if (n == 0) {
    drop(r, c, "connection %ld was closed by the server", id);
    return;
  }
  r->res.bytes_received += (uint64_t)n;
  if (c->state != AWAITING) {
    drop(r, c, "connection %ld: %zd bytes arrived with no message outstanding", id, n);
    return;
  }
  if ((size_t)n > r->o->size - c->received) {
    drop(r, c, "connection %ld: %zd bytes arrived, %zu expected", id, n, r->o->size - c->received);
    return;
  }
  const unsigned char *want = c->msg + c->received;
  if (memcmp(r->scratch, want, (size_t)n) != 0) {
    size_t i = 0;
    while (r->scratch[i] == want[i])
      i++;
    drop(r, c, "connection %ld, message %u: echo differs at byte %zu: sent 0x%02x, got 0x%02x", id,
         c->seq - 1, c->received + i, want[i], r->scratch[i]);
    return;
  }
  c->received += (size_t)n;
  if (c->received == r->o->size) {
    r->last_echo = now_ns();
    latency_hist_add(&r->res.latency_ns, r->last_echo - c->started_ns);
    r->res.messages++;
    r->outstanding--;
    c->state = READY;
    push_ready(r, c);
  }
}

static void on_event(struct run *r, const struct epoll_event *ev) {
  struct conn *c = &r->conns[ev->data.u32];
  if (c->state != DEAD && (ev->events & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP)))
    on_input(r, c);
  if (c->state == AWAITING && (ev->events & EPOLLOUT))
    send_more(r, c);
}

static int start_connect(struct run *r, int i, const struct sockaddr_in *to) {
  struct conn *c = &r->conns[i];
  int one = 1;
  c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd < 0) {
    error(r, "socket: %s", strerror(errno));
    return -1;
  }
  c->state = CONNECTING;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  /* Writable means the handshake finished, one way or the other. */
  struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = (uint32_t)i};
  if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, c->fd, &ev) != 0 ||
      (connect(c->fd, (const struct sockaddr *)to, sizeof *to) != 0 && errno != EINPROGRESS)) {
    error(r, "connection %d: connect: %s", i, strerror(errno));
    return -1;
  }
  return 0;
}

static int finish_connect(struct run *r, struct conn *c) {
  int err = 0;
  socklen_t len = sizeof err;
  getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) {
    error(r, "connection %ld: connect: %s", (long)(c - r->conns), strerror(err));
    return -1;
  }
  /* Idle connections are watched too: any byte or close on them is an error. */
  struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.u32 = (uint32_t)(c - r->conns)};
  epoll_ctl(r->epfd, EPOLL_CTL_MOD, c->fd, &ev);
  c->state = READY;
  if (c->active)
    push_ready(r, c);
  return 0;
}

/* Opens every connection, at most max_connecting handshakes at a time, so that a slow acceptor's
 * backlog does not overflow and turn connects into retransmitted SYNs. */
static int connect_all(struct run *r, uint64_t deadline) {
  const struct loadgen_opts *o = r->o;
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)o->port)};
  inet_pton(AF_INET, o->host, &to.sin_addr);
  struct epoll_event events[MAX_EVENTS];
  int next = 0, in_flight = 0, done = 0;
  while (done < o->connections) {
    for (; in_flight < o->max_connecting && next < o->connections; in_flight++)
      if (start_connect(r, next++, &to) != 0)
        return -1;
    int timeout = ms_until(deadline, now_ns());
    if (timeout == 0) {
      error(r, "timed out with %d of %d connections made", done, o->connections);
      return -1;
    }
    int n = epoll_wait(r->epfd, events, MAX_EVENTS, timeout);
    for (int i = 0; i < n; i++) {
      struct conn *c = &r->conns[events[i].data.u32];
      if (c->state != CONNECTING) {
        on_event(r, &events[i]);
      } else if (finish_connect(r, c) != 0) {
        return -1;
      } else {
        in_flight--;
        done++;
      }
    }
  }
  return 0;
}

/* Sends on ready connections: all of them in a closed loop, or as the rate makes messages due.
 * Latency counts from the send: the wait for a free connection, and the lateness of a wake-up
 * (epoll_wait counts in milliseconds), are not charged to the server. */
static void send_due(struct run *r, uint64_t now, double *next_due) {
  const struct loadgen_opts *o = r->o;
  while (o->count == 0 || r->begun < o->count) {
    if (o->rate > 0 && *next_due > (double)now)
      return;
    struct conn *c = pop_ready(r);
    if (c == NULL)
      return;
    if (o->rate > 0)
      *next_due += 1e9 / o->rate;
    begin_message(r, c, now);
  }
}

static void run_messages(struct run *r, uint64_t deadline) {
  const struct loadgen_opts *o = r->o;
  uint64_t start = now_ns();
  uint64_t stop_sending = o->duration > 0 ? start + (uint64_t)(o->duration * 1e9) : UINT64_MAX;
  double next_due = (double)start;
  struct epoll_event events[MAX_EVENTS];
  r->last_echo = start;

  for (;;) {
    uint64_t now = now_ns();
    int sending =
        now < stop_sending && (o->count == 0 || r->begun < o->count) && r->live_active > 0;
    if (!sending && r->outstanding == 0)
      break;
    if (now >= deadline) {
      if (r->outstanding > 0) {
        r->res.errors += (uint64_t)r->outstanding - 1; /* one per echo; error() adds the last */
        error(r, "timed out waiting for %d echoes", r->outstanding);
      } else {
        error(r, "timed out after %llu of %llu messages", (unsigned long long)r->begun,
              (unsigned long long)o->count);
      }
      break;
    }
    int timeout = ms_until(deadline, now);
    if (sending) {
      send_due(r, now, &next_due);
      int until_stop = ms_until(stop_sending, now);
      timeout = until_stop < timeout ? until_stop : timeout;
      if (o->rate > 0 && r->ready_count > 0) {
        int until_due = ms_until((uint64_t)next_due, now);
        timeout = until_due < timeout ? until_due : timeout;
      }
    }
    int n = epoll_wait(r->epfd, events, MAX_EVENTS, timeout);
    for (int i = 0; i < n; i++)
      on_event(r, &events[i]);
  }
  r->res.duration_s = (double)(r->last_echo - start) / 1e9;
}

static int is_active(const struct loadgen_opts *o, int i) {
  /* Spread the active ones evenly, the last connection always among them, so that the server's
   * highest fds carry traffic too. */
  return (int)((int64_t)(i + 1) * o->active / o->connections) !=
         (int)((int64_t)i * o->active / o->connections);
}

int main(int argc, char **argv) {
  static struct run run;
  struct loadgen_opts opts;
  loadgen_parse_opts(argc, argv, &opts);
  run.o = &opts;

  rlim_t need = (rlim_t)opts.connections + 16; /* stdio, epoll and some slack */
  if (fdlimit_raise("loadgen", need) < need) {
    fprintf(stderr, "loadgen: cannot hold %d connections\n", opts.connections);
    return 1;
  }
  run.conns = calloc((size_t)opts.connections, sizeof *run.conns);
  run.ready = calloc((size_t)opts.active, sizeof *run.ready);
  run.epfd = epoll_create1(EPOLL_CLOEXEC);
  if (run.conns == NULL || run.ready == NULL || run.epfd < 0) {
    perror("loadgen: setup");
    return 1;
  }
  for (int i = 0; i < opts.connections; i++) {
    struct conn *c = &run.conns[i];
    c->fd = -1;
    c->state = DEAD;
    c->active = is_active(&opts, i);
    if (c->active && (c->msg = malloc(opts.size)) == NULL) {
      perror("loadgen: malloc");
      return 1;
    }
  }
  run.live_active = opts.active;

  uint64_t deadline = now_ns() + (uint64_t)(opts.timeout * 1e9);
  if (connect_all(&run, deadline) == 0)
    run_messages(&run, deadline);
  loadgen_report(&opts, &run.res);

  for (int i = 0; i < opts.connections; i++) {
    if (run.conns[i].fd >= 0)
      close(run.conns[i].fd);
    free(run.conns[i].msg);
  }
  free(run.conns);
  free(run.ready);
  close(run.epfd);
  return run.res.errors == 0 ? 0 : 1;
}
