// The system tests run the worker, and the forms API in front of it, as processes.
module.exports = require('../../jest.build-apps.cjs')(['worker', 'forms-api']);
