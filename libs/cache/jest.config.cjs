module.exports = {
  displayName: 'cache',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/libs/cache',
};
