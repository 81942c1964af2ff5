// cladist's reporter for `node --test`: one JSON line per finished test, then a final
// line once the runner itself has seen every test file end. It runs in the parent
// `node --test` process; the test files (and the code under test) run in child processes.
export default async function* cladistReporter(source) {
  for await (const event of source) {
    if (event.type === 'test:pass' || event.type === 'test:fail') {
      const data = event.data || {};
      yield JSON.stringify({
        type: event.type, name: String(data.name), nesting: data.nesting ?? 0,
        file: data.file ?? null, skip: Boolean(data.skip), todo: Boolean(data.todo),
      }) + '\n';
    } else if (event.type === 'test:diagnostic') {
      yield JSON.stringify({ type: 'diagnostic', message: String(event.data?.message) }) + '\n';
    }
  }
  yield JSON.stringify({ type: 'cladist:end' }) + '\n';
}
