module.exports = {
  displayName: 'workload',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/libs/workload',
};
