// `npm run fuzz [-- --count N --seed S --timeout MS --keep DIR]`: N mutants (default 10,000), the
// outcome table, and the failing mutants; exit 1 when any mutant fails.
import process from 'node:process';
import { outcomeTable, runFuzz } from './harness.mjs';

const args = process.argv.slice(2);
/** @type {(name: string, dflt: string | undefined) => string | undefined} */
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};
const count = Number(opt('count', '10000'));
const seed = Number(opt('seed', '1'));
const timeoutMs = Number(opt('timeout', '60000'));
const keepDir = opt('keep', undefined);
const started = process.hrtime.bigint();
let done = 0;
const report = await runFuzz({
  count,
  seed,
  timeoutMs,
  keepDir,
  onProgress: () => {
    done++;
    if (done % 500 === 0) process.stderr.write(`fuzz: ${done}/${count}\n`);
  },
});
const secs = Number(process.hrtime.bigint() - started) / 1e9;
process.stdout.write(
  `${count} mutants, seed ${seed}, ${report.fixtures} Istio fixtures, ${secs.toFixed(0)} s\n\n${outcomeTable(report)}\n`,
);
for (const f of report.failures.slice(0, 50)) {
  process.stdout.write(
    `\nmutant ${f.id} (${f.base}: ${f.mutations.join(', ')}) ${f.outcome}: ${f.detail ?? ''}\n  meshsim ${f.argv.join(' ')}\n`,
  );
}
process.exitCode = report.failures.length ? 1 : 0;
