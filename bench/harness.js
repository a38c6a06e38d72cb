// Measurement helpers shared by the benchmarks. This machine's speed drifts by ±15% between back-to-back
// runs, so contenders are compared in one run, interleaved in short alternating batches, and reported by
// their median.

/** Runs `fn` repeatedly (sync or async, one at a time) for about `ms`; returns operations per second. */
export async function measure(fn, ms) {
  let operations = 0;
  const started = performance.now();
  const deadline = started + ms;
  // Check the clock every 64 operations: reading it costs more than a cache hit.
  while (true) {
    for (let i = 0; i < 64; i++) {
      const result = fn(operations++);
      if (result instanceof Promise) await result;
    }
    if (performance.now() >= deadline) break;
  }
  return (operations * 1000) / (performance.now() - started);
}

/** Runs `rounds` rounds; in each, every contender gets one batch of `ms`, in rotating order. */
export async function interleave(contenders, { rounds = 7, ms = 250 } = {}) {
  const samples = new Map(contenders.map(([name]) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < contenders.length; i++) {
      const [name, fn] = contenders[(round + i) % contenders.length];
      samples.get(name).push(await measure(fn, ms));
    }
  }
  return new Map([...samples].map(([name, values]) => [name, median(values)]));
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function format(n, digits = 0) {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}
