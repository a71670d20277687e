module.exports = {
  displayName: 'infra',
  preset: '../jest.preset.js',
  coverageDirectory: '../coverage/infra',
  // Starts nginx, Node servers and kubectl; generous for a loaded 2-core machine.
  testTimeout: 120_000,
};
