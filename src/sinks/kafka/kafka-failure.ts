/**
 * What kind of failure a kafkajs error is, so the sink can tell an operator problem
 * (credentials, certificates, ACLs) from a broker that is merely away, and knows when its
 * producer may be stuck and must be rebuilt.
 */
export const KAFKA_FAILURE_KINDS = [
  'authentication',
  'authorization',
  'tls',
  'unreachable',
  'message-too-large',
  'unknown-topic',
  'producer-state',
  'other',
] as const;
export type KafkaFailureKind = (typeof KAFKA_FAILURE_KINDS)[number];

const TLS_MESSAGE =
  /certificate|self[- ]signed|SSL routines|ERR_SSL|ERR_TLS|wrong version number|altnames|unable to verify|UNABLE_TO_GET_ISSUER/i;
const UNREACHABLE_ERRORS = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSLockTimeout',
  'KafkaJSTimeout',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
]);
/** Plain errors kafkajs (or Node) throws for a broker that is not there, e.g. `Broker not connected`. */
const UNREACHABLE_MESSAGE = /Broker not connected|ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|EPIPE/;
const PRODUCER_STATE_TYPES = new Set([
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'INVALID_PRODUCER_EPOCH',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_ID_MAPPING',
  'PRODUCER_FENCED',
]);
const TOO_LARGE_TYPES = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);
const AUTHORIZATION_TYPES = new Set([
  'TOPIC_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
]);

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  type?: unknown;
  cause?: unknown;
  originalError?: unknown;
  errors?: unknown;
}

/** The error and everything it wraps (kafkajs nests causes in `cause`, `originalError` and `errors`). */
function errorChain(error: unknown): ErrorLike[] {
  const chain: ErrorLike[] = [];
  const pending: unknown[] = [error];
  while (pending.length > 0 && chain.length < 20) {
    const next = pending.shift();
    if (next === null || typeof next !== 'object' || chain.includes(next as ErrorLike)) continue;
    const candidate = next as ErrorLike;
    chain.push(candidate);
    pending.push(candidate.cause, candidate.originalError);
    if (Array.isArray(candidate.errors)) pending.push(...candidate.errors);
  }
  return chain;
}

export function classifyKafkaFailure(error: unknown): KafkaFailureKind {
  const chain = errorChain(error);
  const names = chain.map((entry) => String(entry.name ?? ''));
  const types = chain.map((entry) => String(entry.type ?? ''));
  const messages = chain.map((entry) => String(entry.message ?? ''));
  if (names.includes('KafkaJSSASLAuthenticationError') || types.includes('SASL_AUTHENTICATION_FAILED')) return 'authentication';
  if (types.some((type) => AUTHORIZATION_TYPES.has(type))) return 'authorization';
  if (messages.some((message) => TLS_MESSAGE.test(message))) return 'tls';
  if (types.some((type) => TOO_LARGE_TYPES.has(type))) return 'message-too-large';
  if (types.some((type) => PRODUCER_STATE_TYPES.has(type))) return 'producer-state';
  if (types.includes('UNKNOWN_TOPIC_OR_PARTITION')) return 'unknown-topic';
  if (names.some((name) => UNREACHABLE_ERRORS.has(name))) return 'unreachable';
  if (messages.some((message) => UNREACHABLE_MESSAGE.test(message))) return 'unreachable';
  return 'other';
}

/** The innermost message, which says what actually went wrong ("connect ECONNREFUSED ..."). */
export function rootMessage(error: unknown): string {
  const chain = errorChain(error);
  // OpenSSL messages end with a newline; one log line wants none.
  const messages = chain
    .map((entry) => String(entry.message ?? '').replace(/\s+/g, ' ').trim())
    .filter((message) => message.length > 0);
  const outer = messages[0] ?? String(error);
  const inner = messages[messages.length - 1] ?? outer;
  return inner === outer ? outer : `${outer}: ${inner}`;
}
