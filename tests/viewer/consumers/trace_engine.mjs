// Loads a Chrome trace export into Chromium's own trace engine (the DevTools performance panel's,
// as published on npm) and prints what it made of it: flows bound, processes and thread entries.
import {analyzeTrace} from '@paulirish/trace_engine/analyze-trace.mjs';

const {parsedTrace} = await analyzeTrace(process.argv[2]);
const data = parsedTrace.data;
const processes = [...data.Renderer.processes.entries()].map(([pid, p]) => ({
  pid,
  threads: [...p.threads.entries()].map(([tid, t]) => ({tid, name: t.name, entries: t.entries.length})),
}));
console.log(JSON.stringify({flows: data.Flows.flows.length, processes}));
