// The dead-letter tests fail and replay jobs through the real worker, and the
// request-tracing tests read the logs of this app's own build.
module.exports = require('../../jest.build-apps.cjs')(['worker', 'forms-api']);
