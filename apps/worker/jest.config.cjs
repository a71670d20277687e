module.exports = {
  displayName: 'worker',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/apps/worker',
  globalSetup: '<rootDir>/jest.global-setup.cjs',
  // The system tests wait out lock expiry and stalled-job recovery (30 s) after a kill -9.
  testTimeout: 240_000,
};
