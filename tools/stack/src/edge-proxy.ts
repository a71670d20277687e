import { foregroundGlobals, writeNginxConfig, type RateLimits } from '@formscale/infra/nginx';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { AppSpec } from './app-processes';
import { readStackProfile } from './stack-profile';

export interface EdgeProxyOptions {
  /** forms-api instances as host:port. */
  upstreams: string[];
  port: number;
  statusPort: number;
  /** Default: those of the stack profile (STACK_PROFILE). */
  rateLimits?: RateLimits;
}

/** nginx from PATH, or from /usr/sbin where Debian puts it (often off a normal user's PATH). */
export function findNginx(path: string = process.env['PATH'] ?? ''): string | undefined {
  const candidates = [...path.split(delimiter).filter(Boolean), '/usr/sbin'].map((dir) => join(dir, 'nginx'));
  return candidates.find((candidate) => existsSync(candidate));
}

/**
 * nginx in front of the forms-api processes, with the same configuration as
 * docker compose (infra/nginx), rendered into .data/nginx with local ports.
 */
export function edgeProxySpec(nginx: string, root: string, options: EdgeProxyOptions): AppSpec {
  const prefix = join(root, '.data', 'nginx');
  const { confPath } = writeNginxConfig(prefix, {
    upstreams: options.upstreams,
    listenPort: options.port,
    statusPort: options.statusPort,
    // Two cores here: one worker each would only compete with the apps.
    workerProcesses: 1,
    cacheDir: join(prefix, 'cache'),
    tempDir: join(prefix, 'temp'),
    pidFile: join(prefix, 'nginx.pid'),
    logDir: join(prefix, 'logs'),
    rateLimits: options.rateLimits ?? readStackProfile().nginxRateLimits,
  });
  return {
    name: 'nginx',
    command: nginx,
    args: ['-p', `${prefix}/`, '-c', confPath, '-e', join(prefix, 'logs', 'early-error.log'), '-g', foregroundGlobals()],
    url: `http://127.0.0.1:${options.port}`,
    readyUrl: `http://127.0.0.1:${options.statusPort}/healthz`,
    env: {},
  };
}
