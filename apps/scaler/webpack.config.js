module.exports = require('../../webpack.app.cjs')(__dirname, {
  // The default targets file travels with the build, so the image has it at /app/scaler.yaml.
  assets: [{ input: '.', glob: 'scaler.yaml', output: '.' }],
});
