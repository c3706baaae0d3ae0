/* Output helpers: grouped numbers, durations, wall-clock times and escaping for JSON, CSV and HTML.
 */
#include "fmt.h"

#include <string.h>
#include <time.h>

char *iotv_fmt_count(char *buf, uint64_t v) {
  char tmp[32];
  int n = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v), i, o = 0;
  for (i = 0; i < n; i++) {
    if (i > 0 && (n - i) % 3 == 0)
      buf[o++] = ',';
    buf[o++] = tmp[i];
  }
  buf[o] = '\0';
  return buf;
}

char *iotv_fmt_dur(char *buf, size_t len, uint64_t ns) {
  if (ns < 1000)
    snprintf(buf, len, "%llu ns", (unsigned long long)ns);
  else if (ns < 1000000)
    snprintf(buf, len, "%.2f us", ns / 1e3);
  else if (ns < 1000000000)
    snprintf(buf, len, "%.2f ms", ns / 1e6);
  else
    snprintf(buf, len, "%.3f s", ns / 1e9);
  return buf;
}

/*
 * A tick label: the unit iotv_fmt_dur would pick, with decimals enough that ticks `step` apart
 * read differently (1.0002 s beside 1.0004 s, not 1.000 s twice).  The page's axis script applies
 * the same rule (render_page.c, function tick).
 */
char *iotv_fmt_tick(char *buf, size_t len, uint64_t ns, uint64_t step) {
  static const char *const units[] = {"ns", "us", "ms", "s"};
  static const int base_decimals[] = {0, 2, 2, 3};
  double unit_ns = 1;
  int u = 0, d;
  while (u < 3 && ns >= unit_ns * 1000)
    unit_ns *= 1000, u++;
  double shown = 1; /* 10^d */
  for (d = 0; d < base_decimals[u]; d++)
    shown *= 10;
  for (; d < 9 && step > 0 && (double)step * shown < unit_ns; d++)
    shown *= 10;
  snprintf(buf, len, "%.*f %s", d, ns / unit_ns, units[u]);
  return buf;
}

char *iotv_fmt_wallclock(char *buf, size_t len, uint64_t realtime_ns) {
  time_t secs = (time_t)(realtime_ns / 1000000000u);
  struct tm tm;
  char day[40];
  /* UTC, so the same trace reads the same on every machine (and golden tests hold). */
  if (!gmtime_r(&secs, &tm) || strftime(day, sizeof day, "%Y-%m-%d %H:%M:%S", &tm) == 0)
    snprintf(day, sizeof day, "?");
  snprintf(buf, len, "%s.%03u UTC", day, (unsigned)(realtime_ns / 1000000u % 1000u));
  return buf;
}

size_t iotv_utf8_len(const unsigned char *s, size_t n) {
  size_t len, i;
  uint32_t cp;
  if (s[0] < 0x80)
    return 1;
  if ((s[0] & 0xe0) == 0xc0)
    len = 2, cp = s[0] & 0x1f;
  else if ((s[0] & 0xf0) == 0xe0)
    len = 3, cp = s[0] & 0x0f;
  else if ((s[0] & 0xf8) == 0xf0)
    len = 4, cp = s[0] & 0x07;
  else
    return 0;
  if (len > n)
    return 0;
  for (i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80)
      return 0;
    cp = cp << 6 | (s[i] & 0x3f);
  }
  /* Overlong forms, surrogates and values past U+10FFFF are not valid UTF-8. */
  if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
      (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
    return 0;
  return len;
}

void iotv_json_strn(FILE *f, const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  fputc('"', f);
  while (i < n) {
    unsigned char c = p[i];
    size_t l;
    if (c == '"' || c == '\\') {
      fputc('\\', f);
      fputc(c, f);
      i++;
    } else if (c < 0x20 || c == 0x7f || c == '<' || c == '>' || c == '&') {
      /* < > & too: then the same JSON can sit inside an HTML <script> without closing it. */
      fprintf(f, "\\u%04x", c);
      i++;
    } else if ((l = iotv_utf8_len(p + i, n - i)) == 0) {
      fputs("\\ufffd", f);
      i++;
    } else {
      fwrite(p + i, 1, l, f);
      i += l;
    }
  }
  fputc('"', f);
}

void iotv_json_str(FILE *f, const char *s) {
  iotv_json_strn(f, s, strlen(s));
}

void iotv_csv_str(FILE *f, const char *s) {
  fputc('"', f);
  if (strchr("=+-@", s[0]) && s[0])
    fputc('\'', f);
  for (; *s; s++) {
    if (*s == '"')
      fputc('"', f);
    fputc(*s, f);
  }
  fputc('"', f);
}

void iotv_xml_str(FILE *f, const char *s) {
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    switch (c) {
    case '&':
      fputs("&amp;", f);
      break;
    case '<':
      fputs("&lt;", f);
      break;
    case '>':
      fputs("&gt;", f);
      break;
    case '"':
      fputs("&quot;", f);
      break;
    case '\'':
      fputs("&#39;", f);
      break;
    default:
      /* XML 1.0 has no escape for most control characters: they are dropped. */
      if (c >= 0x20 || c == '\t' || c == '\n')
        fputc(c, f);
    }
  }
}
