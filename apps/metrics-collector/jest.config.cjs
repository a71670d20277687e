module.exports = {
  displayName: 'metrics-collector',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/apps/metrics-collector',
};
