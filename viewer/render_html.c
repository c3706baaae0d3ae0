/* HTML rendering of the timeline: one self-contained page (no network) with zoom, pan and hover. */
#include <inttypes.h>
#include <string.h>

#include "fmt.h"
#include "lanes.h"
#include "model.h"
#include "render.h"

/* Above this many events the page gets binned lanes instead: a browser would choke. */
#define RAW_EVENT_LIMIT 200000u
#define BINNED_CELLS 20000u

static const char page_head[] =
    "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n"
    /* Nothing may be fetched: the page must work offline and leak nothing. */
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
    "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n"
    "<title>iotrace timeline</title>\n<style>\n"
    "body{font:13px sans-serif;margin:10px;color:#222}\n"
    "#legend span{display:inline-block;margin-right:14px}\n"
    "#legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-2px}\n"
    "#tip{position:fixed;pointer-events:none;background:#fffff0;border:1px solid #999;"
    "padding:4px 6px;white-space:pre;display:none;font:12px monospace}\n"
    "canvas{cursor:grab;display:block;margin-top:8px}\n"
    "</style></head><body>\n<div id=\"title\"></div><div id=\"legend\"></div>\n"
    "<div>wheel: zoom, drag: pan, double-click: reset</div>\n"
    "<canvas id=\"c\"></canvas><div id=\"tip\"></div>\n"
    "<script type=\"application/json\" id=\"data\">";

/* Untrusted strings reach the page only through JSON.parse and textContent, never as HTML. */
static const char page_script[] =
    "</script>\n<script>\n"
    "(function(){\n"
    "var D=JSON.parse(document.getElementById('data').textContent);\n"
    "var "
    "cv=document.getElementById('c'),cx=cv.getContext('2d'),tip=document.getElementById('tip');\n"
    "var LABEL=230,ROW=22,TOP=28,v0=0,v1=D.span,drag=null;\n"
    "document.getElementById('title').textContent=D.title;\n"
    "var lg=document.getElementById('legend');\n"
    "D.kinds.forEach(function(k,i){var "
    "s=document.createElement('span'),b=document.createElement('i');\n"
    "  "
    "b.style.background=D.colors[i];s.appendChild(b);s.appendChild(document.createTextNode(k));lg."
    "appendChild(s);});\n"
    "D.lanes.forEach(function(l){var e=l.e,a=[];for(var "
    "i=0;i<e.length;i+=6)a.push(e.slice(i,i+6));\n"
    "  a.sort(function(p,q){return p[0]-q[0]||q[1]-p[1];});l.s=a;});\n"
    "function fmt(ns){if(ns<1e3)return ns.toFixed(0)+' ns';if(ns<1e6)return (ns/1e3).toFixed(2)+' "
    "us';\n"
    "  if(ns<1e9)return (ns/1e6).toFixed(2)+' ms';return (ns/1e9).toFixed(3)+' s';}\n"
    "function W(){return cv.width-LABEL-10;}\n"
    "function X(t){return LABEL+(t-v0)/(v1-v0)*W();}\n"
    "function draw(){cx.clearRect(0,0,cv.width,cv.height);cx.font='12px sans-serif';\n"
    "  cx.fillStyle='#555';cx.textAlign='center';\n"
    "  for(var k=0;k<=10;k++){var "
    "t=v0+(v1-v0)*k/10,x=X(t);cx.fillRect(x,TOP-6,1,D.lanes.length*ROW+6);\n"
    "    cx.fillText(fmt(t),x,TOP-10);}\n"
    "  D.lanes.forEach(function(l,i){var y=TOP+i*ROW;cx.textAlign='right';cx.fillStyle='#222';\n"
    "    cx.fillText(l.label,LABEL-8,y+ROW-7);cx.fillStyle=D.colors[D.colors.length-1];\n"
    "    var "
    "a=Math.max(X(l.first),LABEL),b=Math.min(X(l.last),LABEL+W());if(b>a)cx.fillRect(a,y+3,b-a,ROW-"
    "6);\n"
    "    var last=-1,lastk=-1;\n"
    "    l.s.forEach(function(s){if(s[0]+s[1]<v0||s[0]>v1)return;var x0=Math.max(X(s[0]),LABEL),\n"
    "      x1=Math.min(X(s[0]+s[1]),LABEL+W()),ph=D.calls[s[3]]==='wait'||D.calls[s[3]]==='copy';\n"
    "      "
    "if(x1-x0<1){if(Math.floor(x0)===last&&s[2]===lastk)return;last=Math.floor(x0);lastk=s[2];x1="
    "x0+1;}\n"
    "      cx.fillStyle=D.colors[s[2]];\n"
    "      if(ph)cx.fillRect(x0,y+ROW/2,x1-x0,ROW/2-3);else "
    "cx.fillRect(x0,y+3,x1-x0,ROW-6);});});}\n"
    "function "
    "resize(){cv.width=Math.max(600,window.innerWidth-24);cv.height=TOP+D.lanes.length*ROW+10;draw("
    ");}\n"
    "cv.addEventListener('wheel',function(ev){ev.preventDefault();var "
    "r=cv.getBoundingClientRect(),\n"
    "  t=v0+(ev.clientX-r.left-LABEL)/W()*(v1-v0),f=ev.deltaY>0?1.25:0.8;\n"
    "  var "
    "n0=t-(t-v0)*f,n1=t+(v1-t)*f;if(n1-n0<100)return;v0=Math.max(0,n0);v1=Math.min(D.span,n1);draw("
    ");});\n"
    "cv.addEventListener('mousedown',function(ev){drag={x:ev.clientX,v0:v0,v1:v1};cv.style.cursor='"
    "grabbing';});\n"
    "window.addEventListener('mouseup',function(){drag=null;cv.style.cursor='grab';});\n"
    "cv.addEventListener('dblclick',function(){v0=0;v1=D.span;draw();});\n"
    "cv.addEventListener('mousemove',function(ev){var "
    "r=cv.getBoundingClientRect(),mx=ev.clientX-r.left,\n"
    "  my=ev.clientY-r.top;\n"
    "  if(drag){var dt=(drag.x-ev.clientX)/W()*(drag.v1-drag.v0),w=drag.v1-drag.v0;\n"
    "    v0=Math.min(Math.max(0,drag.v0+dt),D.span-w);v1=v0+w;draw();return;}\n"
    "  var i=Math.floor((my-TOP)/ROW),t=v0+(mx-LABEL)/W()*(v1-v0),hit=null;\n"
    "  if(i>=0&&i<D.lanes.length&&mx>LABEL){var tol=(v1-v0)/W()*2;\n"
    "    D.lanes[i].s.forEach(function(s){if(s[0]-tol<=t&&t<=s[0]+s[1]+tol)hit=s;});}\n"
    "  if(!hit){tip.style.display='none';return;}\n"
    "  tip.textContent=D.lanes[i].label+'\\n'+(hit[3]>=0?D.calls[hit[3]]+' fd '+hit[4]+' -> "
    "'+hit[5]+'\\n':'')+\n"
    "    D.kinds[hit[2]]+'\\nstart '+fmt(hit[0])+', lasted '+fmt(hit[1]);\n"
    "  "
    "tip.style.display='block';tip.style.left=(ev.clientX+14)+'px';tip.style.top=(ev.clientY+14)+'"
    "px';});\n"
    "cv.addEventListener('mouseleave',function(){tip.style.display='none';});\n"
    "window.addEventListener('resize',resize);resize();\n"
    "})();\n</script></body></html>\n";

static void lane_head(FILE *f, const struct iotv_scene *sc, uint32_t pid, uint32_t tid,
                      const char *name, uint64_t first, uint64_t last, int comma) {
  char lab[64];
  snprintf(lab, sizeof lab, "%u/%u %s", pid, tid, name);
  fprintf(f, "%s\n{\"label\":", comma ? "," : "");
  iotv_json_str(f, lab);
  fprintf(f, ",\"first\":%" PRIu64 ",\"last\":%" PRIu64 ",\"e\":[", first - sc->start,
          last - sc->start);
}

/* Every event as [start, duration, kind, call, fd, result], times from the scene's start. */
static void raw_lanes(FILE *f, const struct iotv_scene *sc) {
  size_t i, k;
  int comma = 0;
  for (i = 0; i < sc->n; i++) {
    struct iotv_trace *t = &sc->tr[i];
    for (k = 0; k < t->nthreads; k++) {
      struct iotv_cursor c;
      const struct iot_event *e;
      uint64_t first = UINT64_MAX, last = 0, base = t->hdr.mono_anchor_ns;
      int n = 0;
      /* Two passes over the thread: its span first, so the lane header can come before. */
      iotv_cursor_init(&c, t, k);
      while ((e = iotv_cursor_next(&c, NULL)) != NULL) {
        if (base + e->start_ns < first)
          first = base + e->start_ns;
        if (base + e->start_ns + iot_event_dur_ns(e) > last)
          last = base + e->start_ns + iot_event_dur_ns(e);
      }
      if (first == UINT64_MAX)
        first = last = sc->start;
      lane_head(f, sc, t->hdr.pid, t->threads[k].tid, t->threads[k].name, first, last, comma);
      comma = 1;
      iotv_cursor_init(&c, t, k);
      while ((e = iotv_cursor_next(&c, NULL)) != NULL)
        fprintf(f, "%s%" PRIu64 ",%" PRIu64 ",%d,%u,%d,%d", n++ ? "," : "",
                base + e->start_ns - sc->start, iot_event_dur_ns(e), (int)iotv_event_kind(e),
                e->call, e->fd, e->result);
      fputs("]}", f);
    }
  }
}

/* Too many events: runs of equal cells from the binned lanes, with no call details. */
static int binned_lanes(FILE *f, const struct iotv_scene *sc) {
  struct iotv_lanes L;
  size_t i;
  uint64_t span = sc->end - sc->start;
  iotv_lanes_init(&L, sc->start, sc->end, BINNED_CELLS);
  for (i = 0; i < sc->n; i++)
    if (iotv_lanes_add(&L, &sc->tr[i]) < 0) {
      iotv_lanes_free(&L);
      return -1;
    }
  for (i = 0; i < L.n; i++) {
    const struct iotv_lane *l = &L.lane[i];
    unsigned c = 0;
    int n = 0;
    lane_head(f, sc, l->pid, l->tid, l->name, l->first_ns ? l->first_ns : sc->start,
              l->last_ns ? l->last_ns : sc->start, i > 0);
    while (c < BINNED_CELLS) {
      int k = iotv_lane_cell_kind(l, c);
      unsigned end = c + 1;
      while (end < BINNED_CELLS && iotv_lane_cell_kind(l, end) == k)
        end++;
      if (k >= 0) {
        uint64_t s = (uint64_t)((__uint128_t)span * c / BINNED_CELLS);
        uint64_t e = (uint64_t)((__uint128_t)span * end / BINNED_CELLS);
        fprintf(f, "%s%" PRIu64 ",%" PRIu64 ",%d,-1,0,0", n++ ? "," : "", s, e - s, k);
      }
      c = end;
    }
    fputs("]}", f);
  }
  iotv_lanes_free(&L);
  return 0;
}

int iotv_render_html(FILE *f, const struct iotv_scene *sc) {
  uint64_t events = 0;
  size_t i;
  unsigned k;
  char title[512], when[64], dur[32];
  int binned;
  for (i = 0; i < sc->n; i++)
    for (k = 0; k < sc->tr[i].nchunks; k++)
      events += sc->tr[i].chunks[k].nslots;
  binned = events > RAW_EVENT_LIMIT;
  snprintf(
      title, sizeof title, "iotrace: %zu process%s, %s from %s%s", sc->n, sc->n == 1 ? "" : "es",
      iotv_fmt_dur(dur, sizeof dur, sc->end - sc->start),
      iotv_fmt_wallclock(when, sizeof when,
                         sc->tr[0].hdr.real_anchor_ns - (sc->tr[0].hdr.mono_anchor_ns - sc->start)),
      binned ? " (binned: too many events to show one by one)" : "");
  fputs(page_head, f);
  fputs("{\"title\":", f);
  iotv_json_str(f, title);
  fprintf(f, ",\"span\":%" PRIu64 ",\"kinds\":[", sc->end > sc->start ? sc->end - sc->start : 1);
  for (k = 0; k <= IOTV_KIND_COUNT; k++) {
    fputs(k ? "," : "", f);
    iotv_json_str(f, iotv_kind_labels[k]);
  }
  fputs("],\"colors\":[", f);
  for (k = 0; k <= IOTV_KIND_COUNT; k++)
    fprintf(f, "%s\"%s\"", k ? "," : "", iotv_kind_colors[k]);
  fputs("],\"calls\":[", f);
  for (k = 0; k < IOT_CALL_COUNT; k++) {
    fputs(k ? "," : "", f);
    iotv_json_str(f, iotv_call_name(k));
  }
  fputs("],\"lanes\":[", f);
  if (binned) {
    if (binned_lanes(f, sc) < 0)
      return -1;
  } else {
    raw_lanes(f, sc);
  }
  fputs("]}", f);
  fputs(page_script, f);
  return ferror(f) ? -1 : 0;
}
