/**
 * Objects whose hidden classes (V8 maps) hold from one run to the next in a process that runs
 * several (a sweep's points, a compare's modes, a capacity search's runs). Optimised code checks
 * the classes and field types it was compiled for; when the next run's objects differ, the
 * request-path functions compiled in the first run are deoptimised and compiled again (12 of them
 * in the second of 8 equal M/M/4 points, before these helpers). See also objectArray.
 */

/**
 * `fields` copied into an object of a class of its own: for objects made once per run (or once
 * per node, pod or client) that the request path reads, such as the cluster's nodes, services,
 * pods and clients, the scenario's service and version models and the data plane's dependencies.
 *
 * Made by an object literal, such an object's fields lose their types in the second run. V8 makes
 * a literal's boilerplate on the literal's second run with feedback (the first only marks the
 * site: deps/v8/src/runtime/runtime-literals.cc, CreateLiteral) and fills it with placeholders
 * where the literal's values are computed (CreateObjectLiteral). A placeholder is not an object,
 * so a field that had only held objects of one class is widened to hold anything
 * (deps/v8/src/objects/map-updater.cc; "uninitialized field" under `node --trace-generalization`),
 * and the code optimised on that class is thrown away. Object.assign onto a class instance makes
 * no boilerplate: the fields keep the types the first run gave them. Only for plain data: a
 * getter in `fields` is called, not copied.
 */
export function stableRecord<T extends object>(fields: T): T {
  return Object.assign(new StableRecord(), fields);
}

class StableRecord {}

/**
 * Zero as V8 stores a fractional number: the start of a field that later holds fractions (µs of
 * CPU). A field first given the integer 0 is stored as a small integer, and its first fraction
 * moves every object of the class to a new hidden class (the old one is deprecated:
 * deps/v8/src/objects/map-updater.cc). The next run's objects are born in the new class, so a
 * field elsewhere that held the old one (a node's `cpu`, a pod's `sidecar`) is widened, and the
 * code compiled on it is thrown away. -0 is the one zero V8 stores as a double; it equals 0, any
 * sum with it is the other addend, and JSON.stringify, String and toFixed print it as "0".
 */
export const DOUBLE_ZERO = -0;
