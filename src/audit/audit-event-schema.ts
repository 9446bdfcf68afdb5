/**
 * The members an `audit.k8s.io/v1` Event can carry, from the Go types
 * (k8s.io/apiserver pkg/apis/audit/v1/types.go, Kubernetes 1.36), plus the two that v1beta1 and
 * v1alpha1 logs still carry (`metadata`, `timestamp`). For each member with a fixed structure,
 * the keys it can hold; `undefined` marks a member whose content is free-form (a request or
 * response object, annotations, `user.extra`), where any key may occur.
 *
 * Used to warn about a rule that reads a field no event has (a typo such as `objectRef.resorce`):
 * such a rule silently never matches, or always does with `!=`.
 */
type Members = { readonly [key: string]: Members | undefined };

const USER_INFO: Members = { username: {}, uid: {}, groups: {}, extra: undefined };

const EVENT: Members = {
  kind: {},
  apiVersion: {},
  level: {},
  auditID: {},
  stage: {},
  requestURI: {},
  verb: {},
  user: USER_INFO,
  impersonatedUser: USER_INFO,
  authenticationMetadata: { impersonationConstraint: {} },
  sourceIPs: {},
  userAgent: {},
  objectRef: { resource: {}, namespace: {}, name: {}, uid: {}, apiGroup: {}, apiVersion: {}, resourceVersion: {}, subresource: {} },
  responseStatus: { kind: {}, apiVersion: {}, metadata: undefined, status: {}, message: {}, reason: {}, details: undefined, code: {} },
  requestObject: undefined,
  responseObject: undefined,
  requestReceivedTimestamp: {},
  stageTimestamp: {},
  annotations: undefined,
  // v1beta1 and v1alpha1 only.
  metadata: undefined,
  timestamp: {},
};

/**
 * Why a field read at `member` then `keys` (literal keys only, see rules/language/event-field's
 * fieldSource) can never have a value in an audit event; undefined when it can.
 */
export function notInAuditSchema(member: string, keys: readonly string[]): string | undefined {
  const path = [member, ...keys];
  let members: Members = EVENT;
  let where = 'an audit event';
  for (const [index, key] of path.entries()) {
    if (!Object.hasOwn(members, key)) {
      const known = Object.keys(members);
      return known.length === 0 ? `${where} is a plain value, with no "${key}" in it` : `${where} has no "${key}" (it has ${known.join(', ')})`;
    }
    const inner = members[key];
    if (inner === undefined) return undefined; // Free-form below: any key may occur.
    where = index === 0 ? key : `${where}.${key}`;
    members = inner;
  }
  return undefined;
}
