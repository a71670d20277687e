module.exports = {
  displayName: 'scaler',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/apps/scaler',
  globalSetup: '<rootDir>/jest.global-setup.cjs',
};
