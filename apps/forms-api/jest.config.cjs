module.exports = {
  displayName: 'forms-api',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/apps/forms-api',
};
