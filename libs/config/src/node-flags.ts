/**
 * The Node.js flags an app's process starts with, wherever it runs: `npm start`, the
 * scaler's local replicas, the tests and benchmarks pass them as arguments; the
 * container manifests set them as NODE_OPTIONS (infra's tests hold those to this table).
 *
 * The worker keeps every job of a batch until the batch commits (400 at the default
 * concurrency), so each minor GC finds them alive and copies them; V8's default
 * semi-space (16 MB) fills every few hundred jobs. 32 MB halves the scavenging time per
 * job (bench:worker's worker_1p_gc_us_per_job) for at most 48 MB more young generation.
 */
export const APP_NODE_FLAGS: Readonly<Record<string, readonly string[]>> = {
  worker: ['--max-semi-space-size=32'],
};

export function nodeFlagsFor(app: string): readonly string[] {
  return APP_NODE_FLAGS[app] ?? [];
}
