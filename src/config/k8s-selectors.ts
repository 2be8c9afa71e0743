/**
 * Kubernetes label selectors (apimachinery pkg/apis/meta/v1 LabelSelector): `matchLabels` plus
 * `matchExpressions` with the operators In, NotIn, Exists, DoesNotExist. Used by the Linkerd,
 * Cilium and App Mesh kinds, which all select pods this way.
 */
import * as z from 'zod';
import { lazySchemas } from './lazy-schemas.js';

/** Built on first use (lazy-schemas.ts), by the first Linkerd, Cilium or App Mesh resource read. */
const schemas = lazySchemas(() => {
  const requirement = z
    .strictObject({
      key: z.string().min(1, 'key must not be empty'),
      operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
      values: z.array(z.string()).optional(),
    })
    .superRefine((r, ctx) => {
      // apimachinery ValidateLabelSelectorRequirement: In/NotIn need values, Exists/DoesNotExist none.
      const n = r.values?.length ?? 0;
      if ((r.operator === 'In' || r.operator === 'NotIn') && n === 0)
        ctx.addIssue({ code: 'custom', path: ['values'], message: `must be specified when operator is ${r.operator}` });
      if ((r.operator === 'Exists' || r.operator === 'DoesNotExist') && n > 0)
        ctx.addIssue({ code: 'custom', path: ['values'], message: `may not be specified when operator is ${r.operator}` });
    });

  const labelSelectorSchema = z.strictObject({
    matchLabels: z.record(z.string(), z.string({ error: 'label values must be strings' })).optional(),
    matchExpressions: z.array(requirement).optional(),
  });
  return { labelSelectorSchema };
});

export const labelSelectorSchema = z.lazy(() => schemas().labelSelectorSchema);
export type LabelSelector = z.output<typeof labelSelectorSchema>;

/** True when `labels` satisfy every term of the selector; an empty selector selects everything. */
export function selectorMatches(sel: LabelSelector | undefined, labels: Readonly<Record<string, string>>): boolean {
  if (!sel) return true;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const r of sel.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, r.key);
    const value = labels[r.key];
    switch (r.operator) {
      case 'In':
        if (!has || !(r.values ?? []).includes(value!)) return false;
        break;
      case 'NotIn':
        if (has && (r.values ?? []).includes(value!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}
