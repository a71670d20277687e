import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StackError } from './stack-error';
import { findRepoRoot, isLocalHost, readStackSettings, redisHost, redisPort } from './stack-settings';

describe('readStackSettings', () => {
  it('defaults to the local stack: Redis on 6379, primary 5433, replicas 5434 and 5435', () => {
    const settings = readStackSettings({}, '/repo');
    expect(settings.redisUrl.toString()).toBe('redis://127.0.0.1:6379');
    expect(settings.primaryPort).toBe(5433);
    expect(settings.replicaPorts).toEqual([5434, 5435]);
    expect(settings.dataDir).toBe('/repo/.data');
  });

  it('reads ports from the environment, spaces and all', () => {
    const settings = readStackSettings({ PG_PRIMARY_PORT: '6433', PG_REPLICA_PORTS: ' 6434, 6435 ,6436' }, '/repo');
    expect(settings.primaryPort).toBe(6433);
    expect(settings.replicaPorts).toEqual([6434, 6435, 6436]);
  });

  it('rejects a port that is not a number with a line naming the variable', () => {
    expect(() => readStackSettings({ PG_PRIMARY_PORT: '54x' }, '/repo')).toThrow(StackError);
    expect(() => readStackSettings({ PG_PRIMARY_PORT: '54x' }, '/repo')).toThrow(/^PG_PRIMARY_PORT must be a TCP port/);
    expect(() => readStackSettings({ PG_REPLICA_PORTS: '5434,70000' }, '/repo')).toThrow(/^PG_REPLICA_PORTS must be a TCP port/);
  });

  it('rejects ports used twice', () => {
    expect(() => readStackSettings({ PG_REPLICA_PORTS: '5433,5434' }, '/repo')).toThrow(/must all differ/);
  });

  it('rejects a REDIS_URL that is not redis://', () => {
    expect(() => readStackSettings({ REDIS_URL: 'rediss://cache:6380' }, '/repo')).toThrow(/^REDIS_URL must use the redis:\/\/ scheme/);
    expect(() => readStackSettings({ REDIS_URL: 'not a url' }, '/repo')).toThrow(/^REDIS_URL must be a redis:\/\/ URL/);
  });
});

describe('Redis URL parts', () => {
  it('defaults the port to 6379 and strips IPv6 brackets', () => {
    expect(redisPort(new URL('redis://127.0.0.1'))).toBe(6379);
    expect(redisPort(new URL('redis://127.0.0.1:6390'))).toBe(6390);
    expect(redisHost(new URL('redis://[::1]:6379'))).toBe('::1');
  });

  it('knows which hosts are this machine', () => {
    expect(['localhost', '127.0.0.1', '127.0.1.1', '::1'].every(isLocalHost)).toBe(true);
    expect(isLocalHost('redis.internal')).toBe(false);
  });
});

describe('findRepoRoot', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'stack-root-spec-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('finds the nearest folder with nx.json above the start', () => {
    writeFileSync(join(root, 'nx.json'), '{}');
    mkdirSync(join(root, 'tools', 'stack', 'src'), { recursive: true });
    expect(findRepoRoot(join(root, 'tools', 'stack', 'src'))).toBe(root);
  });

  it('says so when there is none', () => {
    expect(() => findRepoRoot(root)).toThrow(/could not find the repository root/);
  });
});
