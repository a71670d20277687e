// The local backend's test starts the built worker.
module.exports = require('../../jest.build-apps.cjs')(['worker']);
