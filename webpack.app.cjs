// The one webpack setup of every Nest app here: a Node bundle with its own
// pruned package.json and lock file (what the Docker image installs).
const { NxAppWebpackPlugin } = require('@nx/webpack/app-plugin');
const { basename, join } = require('path');

/** @param {string} appDir the app's folder; @param {object} [extra] more NxAppWebpackPlugin options */
module.exports = function nestAppWebpackConfig(appDir, extra = {}) {
  return {
    output: {
      path: join(__dirname, 'dist/apps', basename(appDir)),
      clean: true,
      ...(process.env.NODE_ENV !== 'production' && {
        devtoolModuleFilenameTemplate: '[absolute-resource-path]',
      }),
    },
    plugins: [
      new NxAppWebpackPlugin({
        target: 'node',
        compiler: 'tsc',
        main: './src/main.ts',
        tsConfig: './tsconfig.app.json',
        assets: [],
        optimization: false,
        outputHashing: 'none',
        generatePackageJson: true,
        sourceMap: true,
        // Type errors fail the typecheck target; checking again here only slows every build.
        skipTypeChecking: true,
        ...extra,
      }),
    ],
  };
};
