import { Counter, type Registry } from 'prom-client';
import type { AuditEvent } from '../../audit/audit-event.js';
import type { AuditRecord, ScannedLine } from '../../pipeline/audit-record.js';
import type { Processor, ProcessorVerdict } from '../../pipeline/processor.js';
import { topLevelMemberId, topLevelMembersOf } from '../top-level-members.js';
import { rewritePath } from '../language/field-path.js';
import { HintScanner } from '../hint-scanner.js';
import { parseRedactionPath, type RedactionPath } from './redaction-path.js';

/** Annotation on every redacted event; its value is the number of values replaced. */
export const REDACTED_ANNOTATION = 'kube-audit-forwarder.io/redacted';
export const REDACTION_MARKER = '[REDACTED]';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** The secrets the API server writes into audit events in clear at Request/RequestResponse level. */
const BUILTIN_PATHS = [
  'Secret:data.*',
  'Secret:stringData.*',
  'TokenReview:spec.token',
  'TokenRequest:status.token',
].map(parseRedactionPath);

/**
 * Bytes that one of the built-in targets needs: an object of kind Secret/SecretList or
 * TokenReview/TokenRequest, a request on the `secrets` resource (patch bodies carry no kind),
 * or a `token` field. An event that has none of them, or has no request/response object at all
 * (level Metadata), is passed on untouched without being looked at further.
 */
const OBJECT_FIELDS = ['requestObject', 'responseObject'] as const;
const OBJECT_FIELD_BYTES = OBJECT_FIELDS.map((field) => Buffer.from(`"${field}"`));
const BUILTIN_HINTS = ['"Secret', '"secrets"', '"token"', '"TokenRe'].map((text) => Buffer.from(text));
const BUILTIN_SCANNER = new HintScanner(BUILTIN_HINTS);

/**
 * Replaces secret values in audit events with a marker before they leave the node, and says so
 * in an annotation. Events that hold no secret keep their original bytes; a redacted event is
 * re-serialised (its bytes change anyway).
 */
export class SecretRedactor implements Processor {
  readonly name = 'redaction';
  readonly readsEveryEvent = false;
  private readonly builtin: boolean;
  private readonly kindPaths = new Map<string, RedactionPath[]>();
  private readonly resourcePaths = new Map<string, RedactionPath[]>();
  private readonly eventPaths: RedactionPath[] = [];
  /** With extra paths: their hints and the built-in ones (when on), found in one pass. */
  private readonly userHints: HintScanner | undefined;
  private readonly redactedEvents: Counter;
  private readonly redactedValues: Counter;

  constructor(options: { builtin: boolean; extraPaths: readonly RedactionPath[] }, registry: Registry) {
    for (const path of [...(options.builtin ? BUILTIN_PATHS : []), ...options.extraPaths]) {
      if (path.scope === 'event') this.eventPaths.push(path);
      else if ('kind' in path.scope) this.kindPaths.set(path.scope.kind, [...(this.kindPaths.get(path.scope.kind) ?? []), path]);
      else this.resourcePaths.set(path.scope.resource, [...(this.resourcePaths.get(path.scope.resource) ?? []), path]);
    }
    this.builtin = options.builtin;
    this.userHints =
      options.extraPaths.length === 0
        ? undefined
        : new HintScanner([...options.extraPaths.map((path) => path.hint), ...(options.builtin ? BUILTIN_HINTS : [])]);
    this.redactedEvents = new Counter({
      name: 'kube_audit_forwarder_redacted_events_total',
      help: 'Events in which secret values were replaced before shipping',
      registers: [registry],
    });
    this.redactedValues = new Counter({
      name: 'kube_audit_forwarder_redacted_values_total',
      help: 'Secret values replaced by the redaction marker',
      registers: [registry],
    });
  }

  process(record: AuditRecord): ProcessorVerdict {
    if (!this.mayHoldSecrets(record)) return 'keep';
    let replaced: number;
    try {
      replaced = this.redact(record.event);
    } catch (error) {
      // Nesting too deep to walk (JSON.parse accepts depths the call stack cannot recurse
      // into): fail closed rather than ship what could not be checked.
      if (!(error instanceof RangeError)) throw error;
      replaced = this.replaceBodies(record.event);
    }
    if (replaced > 0) {
      markRedacted(record.event, replaced);
      record.value = Buffer.from(JSON.stringify(record.event));
      this.redactedEvents.inc();
      this.redactedValues.inc(replaced);
    }
    return 'keep';
  }

  /**
   * The pre-check, one pass over the line at most: with only the built-in targets, a line whose
   * member table shows no request or response body (level Metadata) is not scanned at all.
   */
  private mayHoldSecrets(record: AuditRecord): boolean {
    const bytes = record.value;
    if (this.userHints !== undefined) return this.userHints.foundIn(bytes);
    if (!this.builtin) return false;
    const line = record.scannedLine?.();
    if (line !== undefined) {
      if (!hasMemberAmong(line, OBJECT_FIELD_IDS)) return false;
    } else if (!OBJECT_FIELD_BYTES.some((field) => bytes.includes(field))) return false;
    return BUILTIN_SCANNER.foundIn(bytes);
  }

  /** Redacts in place; returns how many values were replaced. */
  redact(event: AuditEvent): number {
    let replaced = 0;
    const implied = impliedKind(event);
    const objectRef = event.objectRef as { resource?: unknown; subresource?: unknown } | undefined;
    const resourcePaths =
      typeof objectRef?.resource === 'string' && objectRef.subresource === undefined ? this.resourcePaths.get(objectRef.resource) : undefined;
    for (const field of OBJECT_FIELDS) {
      const body = event[field];
      if (this.builtin && implied === 'Secret' && Array.isArray(body)) replaced += this.redactSecretJsonPatch(body);
      else replaced += this.redactTree(body, implied);
      for (const path of resourcePaths ?? []) replaced += rewritePath(body, path.segments, this.replace);
    }
    for (const path of this.eventPaths) replaced += rewritePath(event, path.segments, this.replace);
    return replaced;
  }

  private replaceBodies(event: AuditEvent): number {
    let replaced = 0;
    for (const field of OBJECT_FIELDS) {
      if (event[field] !== undefined && event[field] !== null) {
        event[field] = REDACTION_MARKER;
        replaced += 1;
      }
    }
    return replaced;
  }

  private readonly replace = (value: unknown): unknown => (value === REDACTION_MARKER ? value : REDACTION_MARKER);

  /**
   * Visits every object under `value`. Objects without a `kind` take the one implied by where
   * they are: the top-level body of a patch by `objectRef`, the items of a `SecretList` by the list.
   */
  private redactTree(value: unknown, impliedTopKind?: string): number {
    if (value === null || typeof value !== 'object') return 0;
    let replaced = 0;
    if (Array.isArray(value)) {
      for (const element of value) replaced += this.redactTree(element);
      return replaced;
    }
    const object = value as Record<string, unknown>;
    const kind = typeof object.kind === 'string' ? object.kind : impliedTopKind;
    if (kind !== undefined) {
      for (const path of this.kindPaths.get(kind) ?? []) replaced += rewritePath(object, path.segments, this.replace);
      if (kind === 'Secret' && this.builtin) replaced += this.redactLastApplied(object);
    }
    // Items of a typed list (SecretList) carry no kind of their own in API responses.
    const itemKind = kind?.endsWith('List') && Array.isArray(object.items) ? kind.slice(0, -'List'.length) : undefined;
    for (const [key, child] of Object.entries(object)) {
      if (key === 'items' && itemKind) {
        for (const item of child as unknown[]) replaced += this.redactTree(item, itemKind);
      } else {
        replaced += this.redactTree(child);
      }
    }
    return replaced;
  }

  /**
   * `kubectl apply` keeps the whole applied object, data included, as a JSON string in an
   * annotation. Parse it, redact it like any Secret, write it back; if it cannot be parsed, the
   * whole annotation is replaced, since it may hold secrets.
   */
  private redactLastApplied(secret: Record<string, unknown>): number {
    const annotations = (secret.metadata as { annotations?: Record<string, unknown> } | undefined)?.annotations;
    if (annotations === null || typeof annotations !== 'object') return 0;
    const text = annotations[LAST_APPLIED];
    if (typeof text !== 'string' || text === REDACTION_MARKER) return 0;
    const redacted = this.redactEmbeddedSecret(text);
    if (redacted.replaced > 0) annotations[LAST_APPLIED] = redacted.text;
    return redacted.replaced;
  }

  private redactEmbeddedSecret(text: string): { text: string; replaced: number } {
    let applied: unknown;
    try {
      applied = JSON.parse(text);
    } catch {
      return { text: REDACTION_MARKER, replaced: 1 };
    }
    const replaced = this.redactTree(applied, 'Secret');
    const trailingNewline = text.endsWith('\n') ? '\n' : '';
    return { text: replaced > 0 ? JSON.stringify(applied) + trailingNewline : text, replaced };
  }

  /**
   * A JSON Patch (`application/json-patch+json`) on a Secret: an array of operations whose
   * `value` may be one data value (`/data/password`), the whole data map (`/data`), the whole
   * annotation map or the last-applied annotation itself.
   */
  private redactSecretJsonPatch(operations: unknown[]): number {
    let replaced = 0;
    for (const operation of operations) {
      if (operation === null || typeof operation !== 'object') continue;
      const op = operation as Record<string, unknown>;
      if (typeof op.path !== 'string' || !('value' in op) || op.value === null) continue;
      const path = op.path;
      if (path === '/data' || path === '/stringData') {
        replaced += rewritePath(op.value, [{ kind: 'wildcard' }], this.replace);
      } else if (path.startsWith('/data/') || path.startsWith('/stringData/')) {
        replaced += rewritePath(op, [{ kind: 'key', name: 'value' }], this.replace);
      } else if (path === '/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration') {
        if (typeof op.value === 'string') {
          const redacted = this.redactEmbeddedSecret(op.value);
          if (redacted.replaced > 0) op.value = redacted.text;
          replaced += redacted.replaced;
        }
      } else {
        // Operations that replace the whole object, its metadata or its annotations.
        const asSecret =
          path === '' ? op.value
          : path === '/metadata' ? { metadata: op.value }
          : path === '/metadata/annotations' ? { metadata: { annotations: op.value } }
          : undefined;
        if (asSecret !== undefined) replaced += this.redactTree(asSecret, 'Secret');
      }
    }
    return replaced;
  }
}

/** Whether the line has one of the members numbered `ids` (see topLevelMemberId; a loop: this runs for every line). */
function hasMemberAmong(line: ScannedLine, ids: readonly number[]): boolean {
  const members = topLevelMembersOf(line, memberIndexes);
  for (const id of ids) if (members[id]! >= 0) return true;
  return false;
}

const OBJECT_FIELD_IDS = OBJECT_FIELDS.map(topLevelMemberId);
/** Filled for lines whose keys the scan did not locate (see topLevelMembersOf). */
const memberIndexes: number[] = [];

/**
 * The kind of a request/response body that carries none (patches), from what was requested.
 * Bodies that do carry a kind (`Status`, `DeleteOptions`, `Table`, …) go by their own.
 */
function impliedKind(event: AuditEvent): string | undefined {
  const objectRef = event.objectRef as { resource?: unknown; subresource?: unknown } | undefined;
  if (objectRef === null || typeof objectRef !== 'object') return undefined;
  const { resource, subresource } = objectRef;
  if (resource === 'secrets' && subresource === undefined) return 'Secret';
  if (resource === 'tokenreviews') return 'TokenReview';
  if (resource === 'serviceaccounts' && subresource === 'token') return 'TokenRequest';
  return undefined;
}

function markRedacted(event: AuditEvent, replaced: number): void {
  const annotations = event.annotations;
  if (annotations === undefined || annotations === null) event.annotations = { [REDACTED_ANNOTATION]: String(replaced) };
  else if (typeof annotations === 'object' && !Array.isArray(annotations)) {
    (annotations as Record<string, unknown>)[REDACTED_ANNOTATION] = String(replaced);
  }
}
