const { join } = require('path');

module.exports = require('../../webpack.app.cjs')(__dirname, {
  // `node migrate.js` in the image: the compose and Kubernetes migration job.
  // Absolute, because Nx resolves extra entry points from the workspace root.
  additionalEntryPoints: [{ entryName: 'migrate', entryPath: join(__dirname, '../../libs/db/src/migrate-cli.ts') }],
});
