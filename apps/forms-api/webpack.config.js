module.exports = require('../../webpack.app.cjs')(__dirname, {
  // `node migrate.js` in the image: the compose and Kubernetes migration job.
  additionalEntryPoints: [{ entryName: 'migrate', entryPath: '../../libs/db/src/migrate-cli.ts' }],
});
