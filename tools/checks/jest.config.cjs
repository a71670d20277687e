module.exports = {
  displayName: 'checks',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/tools/checks',
};
