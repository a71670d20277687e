import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

// Lints fixture code as if it sat at a given path, with the real ESLint CLI,
// so the workspace's own configuration, tags and project graph decide. (The
// CLI, not the Node API: Jest's module sandbox cannot load eslint.config.mjs.)
const root = join(__dirname, '../../..');

interface LintResult {
  messages: Array<{ ruleId: string | null; message: string }>;
}

async function boundaryErrors(filePath: string, code: string): Promise<string[]> {
  const linting = promisify(execFile)(
    join(root, 'node_modules/.bin/eslint'),
    ['--stdin', '--stdin-filename', join(root, filePath), '--format', 'json'],
    { cwd: root },
  );
  linting.child.stdin?.end(code);
  // ESLint exits 1 when it finds problems; its JSON report is on stdout either way.
  const { stdout } = await linting.catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
  const [result] = JSON.parse(stdout) as LintResult[];
  return result.messages
    .filter((message) => message.ruleId === '@nx/enforce-module-boundaries')
    .map((message) => message.message);
}

describe('module boundaries', () => {
  it('lets an app import a lib through its public entry', async () => {
    const errors = await boundaryErrors(
      'apps/worker/src/fixture.ts',
      "import { loadConfig } from '@formscale/config';\nexport const f = loadConfig;\n",
    );
    expect(errors).toEqual([]);
  });

  it('fails when a lib imports an app', async () => {
    const errors = await boundaryErrors(
      'libs/db/src/fixture.ts',
      "import { AppModule } from '../../../apps/forms-api/src/app.module';\nexport const m = AppModule;\n",
    );
    expect(errors.join('\n')).toMatch(/cannot be imported by a relative or absolute path/);
  });

  it("fails when a lib reaches into another lib's internals", async () => {
    const errors = await boundaryErrors(
      'libs/cache/src/fixture.ts',
      "import { envVar } from '../../config/src/env-var';\nexport const v = envVar;\n",
    );
    expect(errors.join('\n')).toMatch(/cannot be imported by a relative or absolute path/);
  });

  it("fails when one app imports another app", async () => {
    const errors = await boundaryErrors(
      'apps/worker/src/fixture.ts',
      "import { AppModule } from '../../forms-api/src/app.module';\nexport const m = AppModule;\n",
    );
    expect(errors.join('\n')).toMatch(/cannot be imported by a relative or absolute path/);
  });
});
