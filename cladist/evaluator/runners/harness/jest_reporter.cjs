'use strict';
// cladist's jest reporter: one JSON line per test (its describe titles and its own title
// joined by " > ", and its status), a line per test file that could not run, and an end
// line once the run is complete. Jest runs it in its own process.
const fs = require('fs');

class CladistReporter {
  constructor(globalConfig, options) {
    this.path = options.path;
    fs.writeFileSync(this.path, '');
  }

  onTestResult(test, result) {
    const lines = [];
    if (result.testExecError) {
      lines.push({ type: 'file-error', file: test.path });
    }
    for (const one of result.testResults) {
      const name = [...one.ancestorTitles, one.title].join(' > ');
      lines.push({ type: 'test', name, status: one.status });
    }
    fs.appendFileSync(this.path, lines.map((line) => `${JSON.stringify(line)}\n`).join(''));
  }

  onRunComplete() {
    fs.appendFileSync(this.path, `${JSON.stringify({ type: 'cladist:end' })}\n`);
  }
}

module.exports = CladistReporter;
