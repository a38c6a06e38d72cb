// Gate code per request "in a profile": V8's sampling profiler runs in the HTTP benchmark's server while
// autocannon sends one repeated token to the gated route. The gate's time is the time spent inside the
// middleware less the time spent in what it calls next (Express's next layer, the handler, the answer),
// divided by the requests answered meanwhile. Sampling adds its own overhead, so the figure errs high.

/** Sums the gate's own time (µs) in a V8 CPU profile: inside `attestationGate`, outside the `next` it calls. */
export function gateMicros(profile) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMicros = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const isGate = (frame) => frame.functionName === 'attestationGate' && frame.url.includes('/express/middleware.');
  // Express's continuation: router's and route's `next` (Express 4 and 5 alike), reached from the gate.
  const isNext = (frame) => frame.functionName === 'next' && /[/\\](router|express)[/\\]/.test(frame.url);
  let total = 0;
  const walk = (id, inside) => {
    const node = byId.get(id);
    const frame = node.callFrame;
    const gate = inside ? !isNext(frame) : isGate(frame);
    if (gate) total += selfMicros.get(id) ?? 0;
    for (const child of node.children ?? []) walk(child, gate);
  };
  walk(profile.nodes[0].id, false);
  return total;
}
