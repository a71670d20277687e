/**
 * The Node.js flags an app's process starts with, wherever it runs: `npm start`, the
 * scaler's local replicas, the tests and benchmarks pass them as arguments; the
 * container manifests set them as NODE_OPTIONS (infra's tests hold those to this table).
 *
 * The worker keeps every job of a batch until the batch commits (800 at the default
 * concurrency), so each minor GC finds them alive and copies them; V8's default
 * semi-space (16 MB) fills every few hundred jobs. bench:worker's worker_1p_gc_us_per_job:
 * about 20 µs per job by default at 400 jobs in flight, 9 with 32 MB; at 800 in flight
 * 12-14 with 32 MB and 10 with 64 MB. The cost is at most 144 MB more young generation.
 */
export const APP_NODE_FLAGS: Readonly<Record<string, readonly string[]>> = {
  worker: ['--max-semi-space-size=64'],
};

export function nodeFlagsFor(app: string): readonly string[] {
  return APP_NODE_FLAGS[app] ?? [];
}
