/**
 * The fields of an `audit.k8s.io` Event that the agent looks at. Every field is optional:
 * real logs hold v1beta1/v1alpha1 events, AKS wrappers and hand-edited test captures.
 */
export interface AuditEvent {
  [field: string]: unknown;
  kind?: unknown;
  apiVersion?: unknown;
  level?: unknown;
  auditID?: unknown;
  stage?: unknown;
  requestURI?: unknown;
  verb?: unknown;
  user?: unknown;
  impersonatedUser?: unknown;
  sourceIPs?: unknown;
  userAgent?: unknown;
  objectRef?: unknown;
  responseStatus?: unknown;
  requestObject?: unknown;
  responseObject?: unknown;
  requestReceivedTimestamp?: unknown;
  stageTimestamp?: unknown;
  annotations?: unknown;
}
