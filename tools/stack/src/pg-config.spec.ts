import {
  CONF_INCLUDES,
  DEFAULT_MAX_CONNECTIONS,
  chooseSocketDir,
  isStackClusterName,
  primaryClusterName,
  renderNodeConf,
  renderSharedConf,
  replicaClusterName,
  replicaSlotName,
} from './pg-config';

/** name -> value of the active (uncommented) settings in a postgresql.conf text. */
function settingsOf(conf: string): Map<string, string> {
  const settings = new Map<string, string>();
  for (const line of conf.split('\n')) {
    const match = /^\s*(\w+)\s*=\s*(.*?)\s*$/.exec(line);
    if (match) settings.set(match[1], match[2]);
  }
  return settings;
}

describe('renderSharedConf', () => {
  const settings = settingsOf(renderSharedConf());

  it('sets up streaming replication with hot standby and feedback', () => {
    expect(settings.get('wal_level')).toBe('replica');
    expect(Number(settings.get('max_wal_senders'))).toBeGreaterThanOrEqual(2);
    expect(Number(settings.get('max_replication_slots'))).toBeGreaterThanOrEqual(2);
    expect(settings.get('hot_standby')).toBe('on');
    expect(settings.get('hot_standby_feedback')).toBe('on');
  });

  it('allows enough connections for parallel test files, and takes an override', () => {
    expect(settings.get('max_connections')).toBe(String(DEFAULT_MAX_CONNECTIONS));
    expect(DEFAULT_MAX_CONNECTIONS).toBeGreaterThanOrEqual(300);
    expect(settingsOf(renderSharedConf({ maxConnections: 500 })).get('max_connections')).toBe('500');
  });

  it('listens on loopback only, since pg_hba trusts every local user', () => {
    expect(settings.get('listen_addresses')).toBe("'localhost'");
  });

  it('leaves node-specific settings to the node file', () => {
    expect(settings.has('port')).toBe(false);
    expect(settings.has('cluster_name')).toBe(false);
  });
});

describe('renderNodeConf', () => {
  it('names the cluster and sets its port and socket folder', () => {
    const settings = settingsOf(renderNodeConf({ clusterName: 'formscale-replica-2', port: 5435, socketDir: '/x/.data/pg' }));
    expect(settings.get('cluster_name')).toBe("'formscale-replica-2'");
    expect(settings.get('port')).toBe('5435');
    expect(settings.get('unix_socket_directories')).toBe("'/x/.data/pg'");
  });
});

describe('CONF_INCLUDES', () => {
  it('includes the shared file before the node file, so node settings win', () => {
    expect(CONF_INCLUDES.indexOf("include 'formscale.conf'")).toBeGreaterThanOrEqual(0);
    expect(CONF_INCLUDES.indexOf("include 'formscale.conf'")).toBeLessThan(CONF_INCLUDES.indexOf("include 'formscale-node.conf'"));
  });
});

describe('cluster names', () => {
  it('marks every node as part of a formscale stack, and nothing else', () => {
    expect(primaryClusterName()).toBe('formscale-primary');
    expect(replicaClusterName(1)).toBe('formscale-replica-1');
    expect(isStackClusterName(replicaClusterName(2))).toBe(true);
    expect(isStackClusterName('15/main')).toBe(false);
    expect(isStackClusterName('')).toBe(false);
  });

  it('makes slot names PostgreSQL accepts ([a-z0-9_])', () => {
    expect(replicaSlotName(1)).toMatch(/^[a-z0-9_]+$/);
    expect(replicaSlotName(1)).not.toBe(replicaSlotName(2));
  });
});

describe('chooseSocketDir', () => {
  it('keeps the socket in the cluster folder when the path fits a Unix socket name', () => {
    expect(chooseSocketDir('/home/dev/formscale/.data/pg', 5433, '/tmp')).toBe('/home/dev/formscale/.data/pg');
  });

  it('falls back to the temp folder when the path would be too long', () => {
    const deep = `/home/dev/${'very-long-folder-name/'.repeat(5)}formscale/.data/pg`;
    expect(chooseSocketDir(deep, 5433, '/tmp')).toBe('/tmp');
  });
});
