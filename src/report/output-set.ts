/**
 * Which files `meshsim run` writes (`--outputs LIST`, README.md "meshsim run"). A name stands for one or
 * more files; leaving one out also skips the work behind it (its observer, or loading the report
 * renderer), so `--outputs results` is the fastest run.
 */
export const OUTPUT_FILES = {
  results: ['results.json'],
  report: ['report.html'],
  metrics: ['metrics.prom', 'metrics.om'],
  traces: ['traces.json'],
  events: ['events.jsonl'],
  'access-log': ['access.log'],
} as const;

export type OutputName = keyof typeof OUTPUT_FILES;

export const OUTPUT_NAMES = Object.keys(OUTPUT_FILES) as OutputName[];

/** Every output: what a run writes without --outputs. */
export const ALL_OUTPUTS: ReadonlySet<OutputName> = new Set(OUTPUT_NAMES);

/**
 * Parses `results,metrics,…` (names or their file names, e.g. `report.html`); returns the set, or
 * a message naming what is wrong. `all` stands for every output.
 */
export function parseOutputs(list: string): Set<OutputName> | string {
  const out = new Set<OutputName>();
  const names = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0) return `give at least one of ${OUTPUT_NAMES.join(', ')}`;
  for (const n of names) {
    if (n === 'all') {
      for (const o of OUTPUT_NAMES) out.add(o);
      continue;
    }
    const byName = OUTPUT_NAMES.find((o) => o === n || (OUTPUT_FILES[o] as readonly string[]).includes(n));
    if (!byName) return `unknown output "${n}" (outputs: ${OUTPUT_NAMES.join(', ')}, or all)`;
    out.add(byName);
  }
  return out;
}

/** The file names a set of outputs writes, in a fixed order. */
export function outputFileNames(outputs: ReadonlySet<OutputName>): string[] {
  return OUTPUT_NAMES.filter((o) => outputs.has(o)).flatMap((o) => [...OUTPUT_FILES[o]]);
}
