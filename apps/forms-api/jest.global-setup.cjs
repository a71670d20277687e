const { execSync } = require('node:child_process');
const { join } = require('node:path');

// The dead-letter tests fail and replay jobs through the real worker, run as a
// process (node dist/apps/worker/main.js), and the request-tracing tests read
// the logs of this app's own build. Under `nx test` the test target depends on
// both builds (project.json), and a nested nx would wait on the outer one's
// lock; run directly, jest builds them here (Nx's cache makes this quick when
// nothing changed).
module.exports = async () => {
  if (process.env.NX_TASK_TARGET_PROJECT !== undefined) return;
  execSync('npx nx run-many -t build -p worker,forms-api --outputStyle=static', {
    cwd: join(__dirname, '../..'),
    stdio: 'inherit',
    env: { ...process.env, NX_DAEMON: 'false' },
  });
};
