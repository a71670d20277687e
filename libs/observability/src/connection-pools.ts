import { Gauge, Registry } from 'prom-client';

/** Something that can say how many of its database connections are checked out now. */
export type ConnectionsInUse = () => number;

const pools = new WeakMap<Registry, Map<string, ConnectionsInUse>>();

function activeConnectionsGauge(registry: Registry): Map<string, ConnectionsInUse> {
  let byPool = pools.get(registry);
  if (byPool !== undefined) return byPool;
  const registered = new Map<string, ConnectionsInUse>();
  byPool = registered;
  pools.set(registry, registered);
  new Gauge({
    name: 'active_connections',
    help: 'Database connections in use, per pool.',
    labelNames: ['pool'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [pool, inUse] of registered) this.set({ pool }, inUse());
    },
  });
  return registered;
}

/**
 * Reports a pool's connections in use as active_connections{pool}; the gauge
 * asks at scrape time, so callers never have to keep it up to date. For a pg
 * Pool: registerConnectionPool(registry, 'primary', () => pool.totalCount - pool.idleCount).
 */
export function registerConnectionPool(registry: Registry, pool: string, inUse: ConnectionsInUse): void {
  activeConnectionsGauge(registry).set(pool, inUse);
}

export function unregisterConnectionPool(registry: Registry, pool: string): void {
  pools.get(registry)?.delete(pool);
}
