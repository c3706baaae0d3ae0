/* Text for a terminal: every string that came from a trace or a file name passes through here. */
#include "term.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "fmt.h"

/*
 * A trace holds what the traced program chose: its command line, thread names, host name and
 * module paths.  A file name in a directory of traces is anyone's choice too.  Sent raw, an ESC
 * (C0) or a CSI (U+009B, C1, which terminals in UTF-8 mode obey as well) could move the cursor,
 * rewrite what the viewer printed, or set the window title.
 */

/* How many bytes at p (n left) are safe to send as they are; 0 means escape the byte at p. */
static size_t safe_len(const unsigned char *p, size_t n) {
  size_t l;
  if (p[0] < 0x20 || p[0] == 0x7f)
    return 0;
  l = iotv_utf8_len(p, n);
  if (l == 2 && p[0] == 0xc2 && p[1] < 0xa0)
    return 0; /* U+0080..U+009F, the C1 controls */
  return l;
}

size_t iotv_term_escape(char *out, size_t cap, const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  size_t n = strlen(s), i = 0, o = 0;
  if (cap == 0)
    return 0;
  while (i < n) {
    size_t l = safe_len(p + i, n - i);
    if (l == 0) {
      if (o + 4 >= cap)
        break;
      snprintf(out + o, cap - o, "\\x%02x", p[i]);
      o += 4, i++;
      /* the rest of a C1 control's UTF-8 sequence is escaped too */
      if (i < n && p[i - 1] == 0xc2 && p[i] >= 0x80 && p[i] < 0xa0 && o + 4 < cap) {
        snprintf(out + o, cap - o, "\\x%02x", p[i]);
        o += 4, i++;
      }
      continue;
    }
    if (o + l >= cap)
      break;
    memcpy(out + o, p + i, l);
    o += l, i += l;
  }
  out[o] = '\0';
  return o;
}

void iotv_term_str(FILE *f, const char *s) {
  char buf[1024];
  size_t n = strlen(s), at = 0;
  /* Piecewise, so no string is too long; a piece ends only between characters. */
  while (at < n) {
    size_t take = n - at < 200 ? n - at : 200, l;
    char piece[208];
    while (take < n - at && take > 196 && ((unsigned char)s[at + take] & 0xc0) == 0x80)
      take--; /* do not split a UTF-8 sequence */
    memcpy(piece, s + at, take);
    piece[take] = '\0';
    l = iotv_term_escape(buf, sizeof buf, piece);
    fwrite(buf, 1, l, f);
    at += take;
  }
}

void iotv_term_printf(FILE *f, const char *fmt, ...) {
  char line[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  iotv_term_str(f, line);
}

unsigned iotv_terminal_columns(void) {
  struct winsize ws;
  if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    return ws.ws_col;
  return 0;
}
