const { execSync } = require('node:child_process');

/**
 * A jest globalSetup for test files that run built apps as processes
 * (node dist/apps/<app>/main.js). Under `nx test` the test target depends on
 * those builds (project.json), and a nested nx would wait on the outer one's
 * lock; run directly, jest builds them here (Nx's cache makes this quick when
 * nothing changed).
 */
module.exports = (apps) => async () => {
  if (process.env.NX_TASK_TARGET_PROJECT !== undefined) return;
  execSync(`npx nx run-many -t build -p ${apps.join(',')} --outputStyle=static`, {
    cwd: __dirname,
    stdio: 'inherit',
    env: { ...process.env, NX_DAEMON: 'false' },
  });
};
