const { join } = require('node:path');
const nxPreset = require('@nx/jest/preset').default;

// swc keeps decorator metadata (Nest's DI needs it) and runs tests about twice
// as fast as ts-jest; type-checking happens in each project's typecheck target.
const swcTransform = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

module.exports = {
  ...nxPreset,
  testEnvironment: 'node',
  transform: { '^.+\\.[tj]s$': swcTransform },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testMatch: ['<rootDir>/**/*.spec.ts', '<rootDir>/**/*.int-spec.ts'],
  // Integration tests wait on real servers while Nx runs other projects beside
  // them on two cores; 5 s is too tight for that, and no test asserts speed.
  testTimeout: 30_000,
  reporters: ['default', join(__dirname, 'jest.failure-summary.cjs')],
};
