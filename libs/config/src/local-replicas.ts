/**
 * Where the scaler's local backend runs the replicas of an app (`npm start`):
 * instance i listens on base + i, given through the app's own port variable.
 * The bases sit clear of the stack's fixed ports (3000-3003, nginx 8080/8081),
 * and the stack reads them too, to wait for and print the instances it does not start itself.
 */
export const LOCAL_REPLICA_PORTS: Readonly<Record<string, { variable: string; base: number }>> = {
  'forms-api': { variable: 'FORMS_API_PORT', base: 3100 },
  worker: { variable: 'WORKER_PORT', base: 3200 },
};

/** The port of instance `index` (0-based) of a locally scaled app; undefined for an app the local backend cannot run. */
export function localReplicaPort(app: string, index: number): number | undefined {
  const ports = LOCAL_REPLICA_PORTS[app];
  return ports === undefined ? undefined : ports.base + index;
}

/**
 * How long the local backend waits for a stopped replica to drain before SIGKILL: longer than a
 * worker's drain of a full batch (WORKER_DRAIN_TIMEOUT_MS, 25 s), as Kubernetes' default grace of 30 s is.
 */
export const LOCAL_REPLICA_DRAIN_TIMEOUT_MS = 30_000;
