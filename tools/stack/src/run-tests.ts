// `npm test`: infrastructure up, then lint, typecheck and every project's tests.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { stackDown, stackUp, startedAnything } from './index';
import { migrateDatabase } from './migrate-step';

const root = join(__dirname, '../../..');
// Written by jest.failure-summary.cjs, one file per project with failed tests.
const FAILURES = join(root, 'reports/test-failures');

function nx(args: string[]): number {
  const result = spawnSync(join(root, 'node_modules/.bin/nx'), args, { cwd: root, stdio: 'inherit' });
  return result.status ?? 1;
}

/** The failed tests of every project again, last, where a log's tail shows them. */
function printFailures(): void {
  const files = existsSync(FAILURES) ? readdirSync(FAILURES).sort() : [];
  if (files.length === 0) return;
  process.stdout.write('\n[test] failed tests (each in full earlier in the log):\n');
  for (const file of files) {
    process.stdout.write(`\n[test] ${file.replace(/\.txt$/, '')}\n${readFileSync(join(FAILURES, file), 'utf8')}`);
  }
}

async function main(): Promise<number> {
  const stack = await stackUp();
  try {
    await migrateDatabase((line) => process.stdout.write(`[test] ${line}\n`));
    // Two cores: lint and typecheck are CPU-bound, tests wait on the databases,
    // so three tasks at once keeps both cores busy without starving Jest.
    rmSync(FAILURES, { recursive: true, force: true });
    const code = nx(['run-many', '-t', 'lint', 'typecheck', 'test', '--parallel=3', '--outputStyle=static', ...process.argv.slice(2)]);
    if (code !== 0) printFailures();
    return code;
  } finally {
    if (startedAnything(stack)) await stackDown();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`[test] ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
