module.exports = {
  displayName: 'scaler',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/apps/scaler',
};
