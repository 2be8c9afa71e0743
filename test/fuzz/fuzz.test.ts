/**
 * 500 seeded mutants of the shipped scenarios and Istio fixtures through the real CLI entry point
 * (dist/, built before the suite runs): none may exit 1, hang, or print a malformed message.
 * `npm run fuzz -- --count 10000` runs more.
 */
import { describe, expect, it } from 'vitest';
import { outcomeTable, runFuzz } from './harness.mjs';

describe('fuzzing the CLI', () => {
  it('500 seeded mutants: no exit 1, no hang, no malformed message, nothing written on a refusal', async () => {
    const report = (await runFuzz({ count: 500, seed: 12, timeoutMs: 30_000 })) as {
      failures: { id: number; outcome: string; detail?: string; mutations: string[] }[];
      count: number;
      counts: Record<string, number>;
    };
    const summary = report.failures.map((f) => `#${f.id} ${f.outcome} (${f.mutations.join(', ')}): ${f.detail ?? ''}`).join('\n');
    expect(summary, outcomeTable(report)).toBe('');
  }, 120_000);
});
