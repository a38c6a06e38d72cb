// Measurement helpers shared by the benchmarks. This machine's speed drifts by ±15% between back-to-back
// runs, so contenders are compared in one run, interleaved in short alternating batches, and reported by
// their median; a ratio between two contenders is taken per round (both measured moments apart) and
// reported as its median with its spread (lowest–highest) across rounds.

/**
 * Runs `fn` repeatedly (sync or async, one call at a time) for about `ms`, counting `perCall` operations
 * per call (a call that runs several verifications at once). Returns operations per second of wall time,
 * and the process's CPU time per operation (all threads: the thread pool's RSA included), which a
 * shared machine's load distorts far less than wall time.
 */
export async function measure(fn, ms, perCall = 1) {
  let calls = 0;
  const cpuStarted = process.cpuUsage();
  const started = performance.now();
  const deadline = started + ms;
  // Check the clock every 64 calls: reading it costs more than a cache hit.
  while (true) {
    for (let i = 0; i < 64; i++) {
      const result = fn(calls++);
      if (result instanceof Promise) await result;
    }
    if (performance.now() >= deadline) break;
  }
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuStarted);
  const operations = calls * perCall;
  return { opsPerSecond: (operations * 1000) / elapsedMs, cpuMicrosPerOp: (cpu.user + cpu.system) / operations };
}

/**
 * Runs `rounds` rounds; in each, every contender `[name, fn, perCall?]` gets one batch of `ms`, in
 * rotating order. Returns each contender's samples (`measure` results), one per round, in round order.
 */
export async function interleave(contenders, { rounds = 7, ms = 250 } = {}) {
  const samples = new Map(contenders.map(([name]) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < contenders.length; i++) {
      const [name, fn, perCall] = contenders[(round + i) % contenders.length];
      samples.get(name)[round] = await measure(fn, ms, perCall);
    }
  }
  return samples;
}

/** Per-round ratios of two sample lists from one interleaved run: `{ median, low, high }`. */
export function ratio(numerators, denominators) {
  const ratios = numerators.map((value, round) => value / denominators[round]);
  return { median: median(ratios), low: Math.min(...ratios), high: Math.max(...ratios) };
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function format(n, digits = 0) {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** A ratio as "0.61 (0.58–0.64)": median, then lowest and highest round. */
export function formatRatio({ median: mid, low, high }, digits = 2) {
  return `${format(mid, digits)} (${format(low, digits)}–${format(high, digits)})`;
}
