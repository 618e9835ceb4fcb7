// Mocha's spec output, followed by one plain line CI can parse: "N passed, N failed".
const Mocha = require('mocha');

const { EVENT_RUN_END } = Mocha.Runner.constants;

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(EVENT_RUN_END, () => {
      const s = runner.stats;
      const pending = s.pending ? ` (${s.pending} pending)` : '';
      process.stdout.write(`\n${s.passes} passed, ${s.failures} failed${pending}\n`);
    });
  }
}

module.exports = SummaryReporter;
