import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { foregroundGlobals, LIFTED_RATE_LIMITS, writeNginxConfig } from '../nginx/render';
import { findNginx, NGINX_INSTALL_HINT } from './support/nginx';
import { freePort, stopProcess, waitForHttpOk } from './support/processes';
import { requireSystemTool } from './support/system-tools';
import { fakeFormsApi, startFleet, type UpstreamFleet } from './support/upstream-fleet';

const nginx = findNginx();
const describeWithNginx = requireSystemTool('nginx', nginx, NGINX_INSTALL_HINT) ? describe : describe.skip;

/**
 * npm start and bench:scaling keep nginx's prefix (and its cache) in the clone.
 * A clone may sit in a folder only its owner can enter; nginx must still cache there.
 */
describeWithNginx('nginx run in the foreground with its prefix in a private folder', () => {
  let fleet: UpstreamFleet;
  let prefix: string;
  let child: ChildProcess;
  let baseUrl: string;

  beforeAll(async () => {
    fleet = await startFleet(fakeFormsApi, 1);
    // mkdtemp makes the folder 0700: like a clone under /root.
    prefix = mkdtempSync(join(tmpdir(), 'formscale-private-clone-'));
    const [listenPort, statusPort] = [await freePort(), await freePort()];
    const { confPath } = writeNginxConfig(prefix, {
      upstreams: fleet.addresses(),
      listenPort,
      statusPort,
      workerProcesses: 1,
      workerConnections: 1024,
      workerRlimitNofile: 4096,
      cacheDir: join(prefix, 'cache'),
      tempDir: join(prefix, 'temp'),
      pidFile: join(prefix, 'nginx.pid'),
      logDir: join(prefix, 'logs'),
      rateLimits: LIFTED_RATE_LIMITS,
    });
    child = spawn(nginx as string, ['-p', `${prefix}/`, '-c', confPath, '-e', join(prefix, 'logs/early-error.log'), '-g', foregroundGlobals()], {
      stdio: 'ignore',
    });
    baseUrl = `http://127.0.0.1:${listenPort}`;
    await waitForHttpOk(`http://127.0.0.1:${statusPort}/healthz`, child);
  });

  afterAll(async () => {
    if (child) await stopProcess(child);
    await fleet?.stop();
    if (prefix) rmSync(prefix, { recursive: true, force: true });
  });

  it('stores a form read in its cache and serves the next one from there', async () => {
    const first = await fetch(`${baseUrl}/api/forms/private-clone`);
    expect(first.status).toBe(200);
    await first.text();
    const second = await fetch(`${baseUrl}/api/forms/private-clone`);
    expect(second.status).toBe(200);
    expect(second.headers.get('x-cache-status')).toBe('HIT');
    await second.text();
  });
});
