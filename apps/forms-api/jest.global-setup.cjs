const { execSync } = require('node:child_process');
const { join } = require('node:path');

// The dead-letter tests fail and replay jobs through the real worker, run as a
// process (node dist/apps/worker/main.js). Under `nx test` the test target
// depends on the worker's build (project.json), and a nested nx would wait on
// the outer one's lock; run directly, jest builds it here (Nx's cache makes
// this quick when nothing changed).
module.exports = async () => {
  if (process.env.NX_TASK_TARGET_PROJECT !== undefined) return;
  execSync('npx nx build worker --outputStyle=static', {
    cwd: join(__dirname, '../..'),
    stdio: 'inherit',
    env: { ...process.env, NX_DAEMON: 'false' },
  });
};
