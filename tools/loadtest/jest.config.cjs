module.exports = {
  displayName: 'loadtest',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/tools/loadtest',
  // The harness test starts the API and runs real load on two shared cores.
  testTimeout: 180_000,
};
