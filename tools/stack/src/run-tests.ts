// `npm test`: infrastructure up, then lint, typecheck and every project's tests.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { stackDown, stackUp, startedAnything } from './index';
import { migrateDatabase } from './migrate-step';

const root = join(__dirname, '../../..');

function nx(args: string[]): number {
  const result = spawnSync(join(root, 'node_modules/.bin/nx'), args, { cwd: root, stdio: 'inherit' });
  return result.status ?? 1;
}

async function main(): Promise<number> {
  const stack = await stackUp();
  try {
    await migrateDatabase((line) => process.stdout.write(`[test] ${line}\n`));
    // Two cores: lint and typecheck are CPU-bound, tests wait on the databases,
    // so three tasks at once keeps both cores busy without starving Jest.
    return nx(['run-many', '-t', 'lint', 'typecheck', 'test', '--parallel=3', '--outputStyle=static', ...process.argv.slice(2)]);
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
