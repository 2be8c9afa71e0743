// Regenerates data/istio-crd-schemas.json from Istio's CRDs (istio/api
// kubernetes/customresourcedefinitions.gen.yaml): each kind's OpenAPI v3 schema per served version,
// descriptions stripped, identical versions shared. Usage:
//   node scripts/gen-istio-crd-schemas.mjs path/to/customresourcedefinitions.gen.yaml "istio/api@<commit>"
import { readFileSync, writeFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

const [file, source] = process.argv.slice(2);
if (!file || !source) throw new Error('usage: gen-istio-crd-schemas.mjs CRD_YAML SOURCE');
const strip = (s) => {
  if (Array.isArray(s)) return s.map(strip);
  if (s === null || typeof s !== 'object') return s;
  const out = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === 'description') continue;
    out[k] = k === 'properties' ? Object.fromEntries(Object.entries(v).map(([p, ps]) => [p, strip(ps)])) : strip(v);
  }
  return out;
};
const kinds = {};
for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
  const crd = doc.toJS();
  if (!crd || crd.kind !== 'CustomResourceDefinition') continue;
  const schemas = [];
  const versions = {};
  for (const v of crd.spec.versions) {
    if (!v.served) continue;
    const s = JSON.stringify(strip(v.schema.openAPIV3Schema));
    let i = schemas.indexOf(s);
    if (i < 0) i = schemas.push(s) - 1;
    versions[`${crd.spec.group}/${v.name}`] = i;
  }
  kinds[`${crd.spec.group}/${crd.spec.names.kind}`] = { versions, schemas: schemas.map((s) => JSON.parse(s)) };
}
writeFileSync('data/istio-crd-schemas.json', JSON.stringify({ source, kinds }) + '\n');
