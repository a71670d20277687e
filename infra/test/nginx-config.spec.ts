import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  COMPOSE_NGINX_OPTIONS,
  DEFAULT_RATE_LIMITS,
  LIFTED_RATE_LIMITS,
  renderNginxConfig,
  renderRateLimitsConfig,
  SHIPPED_CONFIG_DIR,
  writeNginxConfig,
} from '../nginx/render';
import { canUnshareMounts, findNginx, makeNginxPrefix, NGINX_INSTALL_HINT, nginxConfigTest } from './support/nginx';
import { requireSystemTool } from './support/system-tools';

/** The rendering the local stack (`npm start`) asks for: its forms-api processes on local ports. */
function localStackOptions(prefix: string) {
  return {
    upstreams: ['127.0.0.1:3000', '127.0.0.1:3010', '127.0.0.1:3020'],
    listenPort: 8080,
    statusPort: 8081,
    cacheDir: join(prefix, 'cache'),
    tempDir: join(prefix, 'temp'),
    pidFile: join(prefix, 'nginx.pid'),
    logDir: join(prefix, 'logs'),
  };
}

describe('nginx config rendering', () => {
  it('keeps the shipped compose config identical to the template rendered with the compose values', () => {
    const shipped = readFileSync(join(SHIPPED_CONFIG_DIR, 'nginx.conf'), 'utf8');
    const shippedLimits = readFileSync(join(SHIPPED_CONFIG_DIR, 'rate-limits.conf'), 'utf8');
    const hint = 'run `npx tsx infra/nginx/render.ts` after editing a template';
    expect({ file: 'nginx.conf', text: shipped, hint }).toEqual({
      file: 'nginx.conf',
      text: renderNginxConfig(COMPOSE_NGINX_OPTIONS),
      hint,
    });
    expect(shippedLimits).toBe(renderRateLimitsConfig(DEFAULT_RATE_LIMITS));
  });

  it('puts every upstream in the least_conn pool with passive health checks and keepalive', () => {
    const conf = renderNginxConfig(localStackOptions('/srv/edge'));
    const upstream = /upstream formscale_api \{([^}]*)\}/.exec(conf)?.[1] ?? '';
    expect(upstream).toContain('least_conn;');
    expect(upstream.match(/server 127\.0\.0\.1:30[0-2]0 max_fails=3 fail_timeout=10s;/g)).toHaveLength(3);
    expect(upstream).toMatch(/keepalive \d+;/);
    expect(conf).toContain('proxy_set_header Connection "";');
    expect(conf).toContain('proxy_http_version 1.1;');
  });

  it('retries on another instance only for idempotent requests', () => {
    const conf = renderNginxConfig(localStackOptions('/srv/edge'));
    const nextUpstream = conf.match(/^\s*proxy_next_upstream .*;$/gm) ?? [];
    expect(nextUpstream).toHaveLength(1);
    expect(nextUpstream[0]).not.toContain('non_idempotent');
  });

  it('declares the cache and every rate-limit zone at http level, not inside a server', () => {
    const conf = renderNginxConfig(localStackOptions('/srv/edge'));
    const firstServer = conf.indexOf('    server {');
    expect(conf.indexOf('proxy_cache_path /srv/edge/cache ')).toBeGreaterThan(0);
    expect(conf.indexOf('proxy_cache_path')).toBeLessThan(firstServer);
    expect(conf.indexOf('include rate-limits.conf;')).toBeLessThan(firstServer);
    const limits = renderRateLimitsConfig(DEFAULT_RATE_LIMITS);
    expect(limits).toContain('zone=formscale_read:10m rate=50r/s');
    expect(limits).toContain('zone=formscale_write:10m rate=10r/s');
    expect(renderRateLimitsConfig(LIFTED_RATE_LIMITS)).toContain('rate=1000000r/s');
  });

  it('refuses options that would render a broken config, naming the option', () => {
    expect(() => renderNginxConfig({ ...localStackOptions('/srv/edge'), upstreams: [] })).toThrow(/upstreams/);
    expect(() => renderNginxConfig({ ...localStackOptions('/srv/edge'), upstreams: ['localhost'] })).toThrow(
      /upstreams\.0: expected host:port/,
    );
    expect(() => renderNginxConfig({ ...localStackOptions('/srv/my edge'), logDir: '/srv/my edge/logs' })).toThrow(
      /cacheDir/,
    );
    const { logDir: _logDir, ...withoutLogs } = localStackOptions('/srv/edge');
    expect(() => renderNginxConfig(withoutLogs)).toThrow(/logDir, or both accessLog and errorLog/);
  });
});

const nginx = findNginx();
const describeWithNginx = requireSystemTool('nginx', nginx, NGINX_INSTALL_HINT) ? describe : describe.skip;

describeWithNginx('nginx -t (Debian nginx)', () => {
  const prefixes: string[] = [];
  afterAll(() => prefixes.forEach((p) => rmSync(p, { recursive: true, force: true })));

  function prefix(): string {
    const dir = makeNginxPrefix('check');
    prefixes.push(dir);
    return dir;
  }

  it('accepts the config the local stack renders', () => {
    const dir = prefix();
    const { confPath } = writeNginxConfig(dir, localStackOptions(dir));
    const result = nginxConfigTest(nginx as string, confPath, dir);
    expect(result.output).toContain('test is successful');
    expect(result.ok).toBe(true);
  });

  // The compose config names the `forms-api` service, which only Docker's DNS
  // resolves; a private mount namespace maps it to loopback for the check.
  const mayUnshare = requireSystemTool(
    'a private mount namespace (unshare --mount)',
    canUnshareMounts() ? 'unshare' : null,
    'run the tests as root, as CI does',
  );
  (mayUnshare ? it : it.skip)('accepts the shipped compose config, run from its own prefix as in the container', () => {
    const dir = prefix();
    const result = nginxConfigTest(nginx as string, join(SHIPPED_CONFIG_DIR, 'nginx.conf'), dir, ['forms-api']);
    expect(result.output).toContain('test is successful');
    expect(result.ok).toBe(true);
  });

  it('rejects a config whose rate-limit zone sits inside a server block (the seed mistake)', () => {
    const dir = prefix();
    const { confPath } = writeNginxConfig(dir, localStackOptions(dir));
    const broken = readFileSync(confPath, 'utf8').replace(
      'listen 127.0.0.1:8080;',
      'listen 127.0.0.1:8080;\n        limit_req_zone $binary_remote_addr zone=inner:1m rate=1r/s;',
    );
    writeFileSync(confPath, broken);
    const result = nginxConfigTest(nginx as string, confPath, dir);
    expect(result.ok).toBe(false);
    expect(result.output).toContain('"limit_req_zone" directive is not allowed here');
  });
});
