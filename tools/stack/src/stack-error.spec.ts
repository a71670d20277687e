import { missingPostgresMessage, missingRedisMessage, portConflictMessage } from './stack-error';

describe('portConflictMessage', () => {
  it('names the port and the variable to change when another program holds it', () => {
    expect(portConflictMessage(5433, 'PG_PRIMARY_PORT', { kind: 'program' })).toBe(
      'port 5433 is in use by another program: set PG_PRIMARY_PORT to a free port',
    );
  });

  it('says when the holder is a PostgreSQL outside the stack, with its cluster_name', () => {
    const message = portConflictMessage(5434, 'PG_REPLICA_PORTS', { kind: 'postgres', clusterName: '15/main' });
    expect(message).toBe(
      "port 5434 is in use by a PostgreSQL server that is not part of a formscale stack (cluster_name '15/main'): set PG_REPLICA_PORTS to a free port",
    );
    expect(portConflictMessage(5434, 'PG_REPLICA_PORTS', { kind: 'postgres', clusterName: '' })).toContain('cluster_name unset');
  });

  it('is one line', () => {
    expect(portConflictMessage(6379, 'REDIS_URL', { kind: 'redis' })).not.toContain('\n');
  });
});

describe('missing binaries', () => {
  it('name the Debian packages to install and the docker compose way out', () => {
    expect(missingRedisMessage()).toMatch(/apt-get install redis-server/);
    expect(missingPostgresMessage()).toMatch(/apt-get install postgresql/);
    for (const message of [missingRedisMessage(), missingPostgresMessage()]) {
      expect(message).toContain('docker compose');
      expect(message).not.toContain('\n');
    }
  });
});
