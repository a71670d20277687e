module.exports = {
  displayName: 'forms-api',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/apps/forms-api',
  globalSetup: '<rootDir>/jest.global-setup.cjs',
  // @fastify/static (Swagger UI) requires content-disposition 2, which ships ESM only:
  // let swc turn it into CommonJS for Jest, as Node 20 itself does with require(esm).
  transformIgnorePatterns: ['/node_modules/(?!content-disposition/)'],
};
