#!/usr/bin/env node
// Entry point of `npm start`, `npm test` and `npm run stack:*` on a fresh clone:
// it may only use Node itself, because it is what installs everything else.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const usage = 'usage: node tools/bootstrap.mjs start | test | stack up|down|status';

const commands = {
  start: { systemDeps: true, script: 'tools/stack/src/run-system.ts' },
  test: { systemDeps: true, script: 'tools/stack/src/run-tests.ts' },
  stack: { systemDeps: false, script: 'tools/stack/src/cli.ts' },
};

function run(command, args, extraEnv = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...extraEnv } });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

// npm ci only when the lock file changed since the last install, so a second
// `npm start` costs nothing and a `git pull` that moved versions reinstalls.
function ensureDependencies() {
  const lock = readFileSync(join(root, 'package-lock.json'));
  const hash = createHash('sha256').update(lock).digest('hex');
  const stamp = join(root, 'node_modules', '.formscale-lock-sha256');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) return;
  console.log('[bootstrap] installing npm dependencies (npm ci)...');
  const status = run('npm', ['ci', '--no-audit', '--no-fund'], { SCARF_ANALYTICS: 'false' });
  if (status !== 0) {
    console.error('[bootstrap] npm ci failed: see the output above; check that the npm registry is reachable.');
    process.exit(status);
  }
  writeFileSync(stamp, hash);
}

const [name, ...args] = process.argv.slice(2);
const command = commands[name];
if (!command) {
  console.error(usage);
  process.exit(2);
}
ensureDependencies();
if (command.systemDeps) {
  const status = run('bash', ['tools/stack/system-deps.sh']);
  if (status !== 0) process.exit(status);
}
const child = spawn(join(root, 'node_modules', '.bin', 'tsx'), ['--tsconfig', 'tsconfig.base.json', command.script, ...args], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, NX_DAEMON: 'false' },
});
// Ctrl-C reaches the whole foreground process group, the child included, so
// SIGINT is only held here while the child shuts down; SIGTERM and SIGHUP come
// to this process alone and are passed on.
process.on('SIGINT', () => undefined);
for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 0)));
