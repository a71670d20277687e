// A Jest reporter that keeps each project's failed tests in
// reports/test-failures/<project>.txt (removed when the project passes), so
// `npm test` can print them last: a CI log often keeps only its tail, and
// with several projects at once a failure scrolls far out of it.
const { mkdirSync, rmSync, writeFileSync } = require('node:fs');
const { join, relative } = require('node:path');

const WORKSPACE = __dirname;
const OUT = join(WORKSPACE, 'reports/test-failures');
// Enough of each message to see what was expected and where; the full text is earlier in the log.
const MESSAGE_LINES = 12;

class FailureSummaryReporter {
  constructor(globalConfig) {
    this.globalConfig = globalConfig;
  }

  onRunComplete(contexts, results) {
    const project = this.project(contexts);
    const file = join(OUT, `${project}.txt`);
    const lines = [];
    for (const suite of results.testResults) {
      const path = relative(WORKSPACE, suite.testFilePath);
      if (suite.testExecError !== undefined && suite.testExecError !== null) {
        lines.push(`${path}: the file did not run: ${firstLines(suite.testExecError.message)}`);
      }
      for (const test of suite.testResults) {
        if (test.status !== 'failed') continue;
        lines.push(`${path} > ${test.fullName}`, ...test.failureMessages.map((message) => indent(firstLines(strip(message)))));
      }
    }
    if (lines.length === 0 && results.numFailedTestSuites === 0) {
      rmSync(file, { force: true });
      return;
    }
    mkdirSync(OUT, { recursive: true });
    writeFileSync(file, `${lines.join('\n')}\n`);
  }

  project(contexts) {
    const [context] = contexts;
    const name = context?.config.displayName?.name;
    return name ?? (relative(WORKSPACE, this.globalConfig.rootDir).replaceAll('/', '-') || 'workspace');
  }
}

function strip(text) {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}

function firstLines(text) {
  return text
    .split('\n')
    .filter((line) => !line.includes('/node_modules/'))
    .slice(0, MESSAGE_LINES)
    .join('\n');
}

function indent(text) {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}

module.exports = FailureSummaryReporter;
