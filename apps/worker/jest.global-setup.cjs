const { execSync } = require('node:child_process');
const { join } = require('node:path');

// The system tests run the worker as a process (node dist/apps/worker/main.js),
// so build it once per test run; Nx's cache makes this a no-op when nothing changed.
module.exports = async () => {
  execSync('npx nx build worker --outputStyle=static', {
    cwd: join(__dirname, '../..'),
    stdio: 'inherit',
    env: { ...process.env, NX_DAEMON: 'false' },
  });
};
