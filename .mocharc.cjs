// Tests are TypeScript run through tsx; the summary reporter ends the run with "N passed, N failed".
module.exports = {
  require: ['tsx/cjs', './test/support/hooks.ts'],
  extension: ['ts'],
  reporter: './test/support/summary-reporter.cjs',
  timeout: 60000,
  exit: true,
};
