module.exports = {
  displayName: 'cdn',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/infra/cdn',
  // Starts workerd (Miniflare) and Node servers; generous for a loaded 2-core machine.
  testTimeout: 120_000,
};
