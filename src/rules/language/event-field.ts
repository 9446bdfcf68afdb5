import type { AuditEvent } from '../../audit/audit-event.js';
import { parsePath, readPath, type PathSegment } from './field-path.js';

/**
 * Reads a field of an audit event for rule and filter conditions. Besides plain paths
 * (`objectRef.resource`, `annotations["authorization.k8s.io/decision"]`) it knows:
 *
 * - short aliases for the fields filters use most (`user`, `group`, `resource`, `code`, …);
 * - `podSpec…`: the pod spec(s) a request creates or changes, wherever the kind keeps it
 *   (a Pod's `spec`, a workload's `spec.template.spec`, a CronJob's
 *   `spec.jobTemplate.spec.template.spec`, a PodTemplate's `template.spec`), so one rule
 *   covers pods and every workload that makes pods;
 * - `podContainers…`: the containers, init containers and ephemeral containers of those specs;
 * - `execCommand`: the command of a `pods/exec` request, URL-decoded and joined by spaces
 *   (kubectl sends each argument as its own `command=` query parameter).
 *
 * A field that ends on an array yields the array's elements, so `user.groups: system:masters`
 * means "one of the groups is system:masters".
 */
export type EventFieldReader = (event: AuditEvent) => unknown[];

const FIELD_ALIASES: Readonly<Record<string, string>> = {
  user: 'user.username',
  group: 'user.groups',
  resource: 'objectRef.resource',
  subresource: 'objectRef.subresource',
  namespace: 'objectRef.namespace',
  name: 'objectRef.name',
  apiGroup: 'objectRef.apiGroup',
  code: 'responseStatus.code',
  decision: 'annotations["authorization.k8s.io/decision"]',
  uri: 'requestURI',
  sourceIP: 'sourceIPs',
};

type VirtualRoot = (event: AuditEvent) => unknown[];

const WORKLOAD_POD_SPEC_PATHS = [
  parsePath('spec.template.spec'),
  parsePath('spec.jobTemplate.spec.template.spec'),
  parsePath('template.spec'),
];
const POD_SPEC_PATH = parsePath('spec');
const CONTAINER_LISTS = ['containers', 'initContainers', 'ephemeralContainers'];

function podSpecsOf(event: AuditEvent): unknown[] {
  const requestObject = event.requestObject;
  if (requestObject === null || typeof requestObject !== 'object' || Array.isArray(requestObject)) return [];
  const objectRef = event.objectRef as { resource?: unknown } | undefined;
  const specs: unknown[] = [];
  // A Pod's own spec; a Service or a Deployment also has `spec`, so only pods qualify here.
  if (objectRef?.resource === 'pods' || (requestObject as { kind?: unknown }).kind === 'Pod') {
    specs.push(...readPath(requestObject, POD_SPEC_PATH));
  }
  for (const path of WORKLOAD_POD_SPEC_PATHS) specs.push(...readPath(requestObject, path));
  return specs;
}

function podContainersOf(event: AuditEvent): unknown[] {
  const containers: unknown[] = [];
  for (const spec of podSpecsOf(event)) {
    for (const list of CONTAINER_LISTS) {
      const value = (spec as Record<string, unknown>)[list];
      if (Array.isArray(value)) containers.push(...value);
    }
  }
  return containers;
}

function execCommandOf(event: AuditEvent): unknown[] {
  const uri = event.requestURI;
  if (typeof uri !== 'string') return [];
  const query = uri.indexOf('?');
  if (query < 0) return [];
  const words = new URLSearchParams(uri.slice(query + 1)).getAll('command');
  return words.length > 0 ? [words.join(' ')] : [];
}

const VIRTUAL_ROOTS: Readonly<Record<string, VirtualRoot>> = {
  podSpec: podSpecsOf,
  podContainers: podContainersOf,
  execCommand: execCommandOf,
};

/** Compiles a field expression once; throws RuleSyntaxError for malformed paths. */
export function compileEventField(text: string): EventFieldReader {
  const segments = parsePath(FIELD_ALIASES[text] ?? text);
  const first = segments[0]!;
  const virtualRoot = first.kind === 'key' ? VIRTUAL_ROOTS[first.name] : undefined;
  if (virtualRoot) {
    const rest = segments.slice(1);
    return (event) => flattenArrays(virtualRoot(event).flatMap((root) => (rest.length > 0 ? readPath(root, rest) : [root])));
  }
  if (segments.every((segment) => segment.kind === 'key')) return readKeys(segments);
  return (event) => flattenArrays(readPath(event, segments));
}

/**
 * The path of a field that reads the event as it is (no virtual root), aliases resolved; undefined
 * for `podSpec…`, `podContainers…` and `execCommand`. With `valuesBelow`, lets a reader that
 * walked the first keys another way (the line's bytes, see rules/detection/line-fields.ts) give
 * the same values as the compiled reader.
 */
export function plainFieldPath(text: string): PathSegment[] | undefined {
  const segments = parsePath(FIELD_ALIASES[text] ?? text);
  const first = segments[0]!;
  return first.kind === 'key' && VIRTUAL_ROOTS[first.name] === undefined ? segments : undefined;
}

/** The values a plain field gives when `value` is what its path reached before the `rest` of its segments. */
export function valuesBelow(value: unknown, rest: readonly PathSegment[]): unknown[] {
  if (value === undefined || value === null) return NOTHING as unknown[];
  if (rest.length === 0) return Array.isArray(value) ? value : [value];
  return flattenArrays(readPath(value, rest));
}

/** Fields whose values come from the pod specs of `requestObject`. */
const POD_SPEC_ROOTS = new Set(['podSpec', 'podContainers']);

/**
 * Where a field expression reads: the top-level member, and the literal keys of the path below
 * it, each of which an event must hold for the field to have any value (a pod-spec field needs
 * `requestObject` and its `spec`). Undefined for fields computed from several members
 * (`execCommand`). The compiled matcher uses this to rule a field out from the line's bytes.
 */
export function fieldSource(text: string): { member: string; keys: string[] } | undefined {
  const segments = parsePath(FIELD_ALIASES[text] ?? text);
  const [first, ...rest] = segments;
  if (first?.kind !== 'key' || first.name === 'execCommand') return undefined;
  const keys = rest.flatMap((segment) => (segment.kind === 'key' ? [segment.name] : []));
  return POD_SPEC_ROOTS.has(first.name) ? { member: 'requestObject', keys: ['spec', ...keys] } : { member: first.name, keys };
}

const NOTHING: readonly unknown[] = Object.freeze([]);

/**
 * The hot path: most rule fields are plain key chains (`objectRef.resource`, `user.username`).
 * Walk them without allocating; only a chain that meets an array mid-way takes the general route.
 */
function readKeys(segments: readonly PathSegment[]): EventFieldReader {
  const names = segments.map((segment) => (segment as { name: string }).name);
  const inherited = names.map((name) => name in Object.prototype);
  return (event) => {
    let current: unknown = event;
    for (let index = 0; index < names.length; index += 1) {
      if (current === null || typeof current !== 'object') return NOTHING as unknown[];
      if (Array.isArray(current)) return flattenArrays(readPath(current, segments.slice(index)));
      const name = names[index]!;
      // One read rather than hasOwn and a read (each a proxy trap on a lazily parsed event); a
      // name every object inherits (`constructor`, `toString`) still counts only when it is own.
      const value = (current as Record<string, unknown>)[name];
      if (value === undefined || (inherited[index] && !Object.hasOwn(current, name))) return NOTHING as unknown[];
      current = value;
    }
    if (current === undefined || current === null) return NOTHING as unknown[];
    return Array.isArray(current) ? current : [current];
  };
}

function flattenArrays(values: unknown[]): unknown[] {
  return values.some(Array.isArray) ? values.flatMap((value) => (Array.isArray(value) ? value : [value])) : values;
}
