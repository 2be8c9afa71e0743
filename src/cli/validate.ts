/**
 * `meshsim validate`: every check `run` makes, without simulating. Scenario files are checked one
 * by one; plain Istio / Kubernetes YAML files are checked together, like istioctl analyze.
 * Diagnostics go to stdout; exit 2 when any file has an error.
 */
import { InputError, formatDiagnostic, type Diagnostic } from '../config/diagnostics.js';
import { isScenarioText, validateIstioFiles } from '../analysis/validate-files.js';
import { readInputText } from '../config/input-file.js';
import { EXIT, loadChecked, reportFailure } from './common.js';

export function validateCommand(files: string[]): number {
  let worst: number = EXIT.ok;
  const print = (d: Diagnostic) => process.stdout.write(`${formatDiagnostic(d)}\n`);
  const istioFiles: { file: string; text: string }[] = [];
  for (const file of files) {
    const read = readInputText(file);
    if (!read.ok) {
      print(read.problem);
      worst = EXIT.input;
      continue;
    }
    const text = read.text;
    if (!/^\s*[^\s#]/m.test(text)) {
      print({ file, line: 1, col: 1, severity: 'error', message: 'the file is empty: expected a scenario or Istio/Kubernetes resources' });
      worst = EXIT.input;
      continue;
    }
    if (!isScenarioText(text)) {
      istioFiles.push({ file, text });
      continue;
    }
    try {
      const { warnings } = loadChecked(file);
      warnings.forEach(print);
      process.stdout.write(`${file}: ok${warnings.length ? ` (${warnings.length} warning${warnings.length > 1 ? 's' : ''})` : ''}\n`);
    } catch (e) {
      if (e instanceof InputError) {
        e.diagnostics.forEach(print);
        worst = Math.max(worst, EXIT.input);
      } else {
        worst = Math.max(worst, reportFailure(e));
      }
    }
  }
  if (istioFiles.length) {
    const { errors, warnings } = validateIstioFiles(istioFiles);
    [...errors, ...warnings].forEach(print);
    const names = istioFiles.length === 1 ? istioFiles[0]?.file : `${istioFiles.length} Istio/Kubernetes files`;
    if (errors.length) worst = Math.max(worst, EXIT.input);
    else process.stdout.write(`${names}: ok${warnings.length ? ` (${warnings.length} warning${warnings.length > 1 ? 's' : ''})` : ''}\n`);
  }
  return worst;
}
