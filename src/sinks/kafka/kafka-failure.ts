/**
 * What kind of failure a librdkafka error is, so the sink can tell an operator problem
 * (credentials, certificates, ACLs) from a broker that is merely away, and knows when its
 * producer is beyond repair and must be rebuilt.
 */
export const KAFKA_FAILURE_KINDS = [
  'authentication',
  'authorization',
  'tls',
  'unreachable',
  'message-too-large',
  'unknown-topic',
  'producer-state',
  'fenced',
  'other',
] as const;
export type KafkaFailureKind = (typeof KAFKA_FAILURE_KINDS)[number];

/** librdkafka error codes (rdkafka.h, `RD_KAFKA_RESP_ERR_*`) the sink tells apart. */
export const LIBRDKAFKA_ERRORS = {
  /** Local: a newer producer with the same transactional.id took over. */
  FENCED: -144,
  /** Local: the producer is in a state it cannot leave (e.g. an idempotence sequence it cannot repair). */
  FATAL: -150,
  AUTHENTICATION: -169,
  SSL: -181,
  TIMED_OUT: -185,
  QUEUE_FULL: -184,
  ALL_BROKERS_DOWN: -187,
  UNKNOWN_TOPIC: -188,
  MSG_TIMED_OUT: -192,
  RESOLVE: -193,
  TRANSPORT: -195,
  UNKNOWN_TOPIC_OR_PART: 3,
  MSG_SIZE_TOO_LARGE: 10,
  RECORD_LIST_TOO_LARGE: 18,
  TOPIC_AUTHORIZATION_FAILED: 29,
  CLUSTER_AUTHORIZATION_FAILED: 31,
  OUT_OF_ORDER_SEQUENCE_NUMBER: 45,
  INVALID_PRODUCER_EPOCH: 47,
  SASL_AUTHENTICATION_FAILED: 58,
  UNKNOWN_PRODUCER_ID: 59,
  PRODUCER_FENCED: 90,
} as const;

const E = LIBRDKAFKA_ERRORS;
const UNREACHABLE_CODES = new Set<number>([E.TIMED_OUT, E.ALL_BROKERS_DOWN, E.MSG_TIMED_OUT, E.RESOLVE, E.TRANSPORT]);
const PRODUCER_STATE_CODES = new Set<number>([E.FATAL, E.OUT_OF_ORDER_SEQUENCE_NUMBER, E.INVALID_PRODUCER_EPOCH, E.UNKNOWN_PRODUCER_ID]);
/** The JavaScript binding hands error events over with generic texts only ("ssl error"); the reasons are in librdkafka's log lines. */
const TLS_MESSAGE = /^ssl error$|certificate|SSL handshake|SSL routines|wrong version number|unable to verify/i;
/** A fatal error carries the fencing only in its text ("Fatal error: Local: This instance has been fenced by a newer instance"). */
const FENCED_MESSAGE = /fenced by a newer instance|producer fenced/i;
const AUTHENTICATION_MESSAGE = /^authentication failure$|SASL authentication (error|failed)|Authentication failed/i;

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  isFatal?: unknown;
  cause?: unknown;
}

function errorChain(error: unknown): ErrorLike[] {
  const chain: ErrorLike[] = [];
  let next: unknown = error;
  while (next !== null && typeof next === 'object' && chain.length < 10 && !chain.includes(next as ErrorLike)) {
    chain.push(next as ErrorLike);
    next = (next as ErrorLike).cause;
  }
  return chain;
}

export function classifyKafkaFailure(error: unknown): KafkaFailureKind {
  const chain = errorChain(error);
  const codes = chain.map((entry) => (typeof entry.code === 'number' ? entry.code : NaN));
  const messages = chain.map((entry) => String(entry.message ?? ''));
  if (codes.includes(E.SASL_AUTHENTICATION_FAILED) || codes.includes(E.AUTHENTICATION)) return 'authentication';
  if (messages.some((message) => AUTHENTICATION_MESSAGE.test(message))) return 'authentication';
  if (codes.includes(E.TOPIC_AUTHORIZATION_FAILED) || codes.includes(E.CLUSTER_AUTHORIZATION_FAILED)) return 'authorization';
  if (codes.includes(E.SSL) || messages.some((message) => TLS_MESSAGE.test(message))) return 'tls';
  if (codes.includes(E.MSG_SIZE_TOO_LARGE) || codes.includes(E.RECORD_LIST_TOO_LARGE)) return 'message-too-large';
  if (codes.includes(E.FENCED) || codes.includes(E.PRODUCER_FENCED) || messages.some((message) => FENCED_MESSAGE.test(message))) return 'fenced';
  if (chain.some((entry) => entry.isFatal === true) || codes.some((code) => PRODUCER_STATE_CODES.has(code))) return 'producer-state';
  if (codes.includes(E.UNKNOWN_TOPIC_OR_PART) || codes.includes(E.UNKNOWN_TOPIC)) return 'unknown-topic';
  if (codes.some((code) => UNREACHABLE_CODES.has(code))) return 'unreachable';
  return 'other';
}

/** The outer and innermost message, which says what actually went wrong, on one line. */
export function rootMessage(error: unknown): string {
  const messages = errorChain(error)
    .map((entry) => String(entry.message ?? '').replace(/\s+/g, ' ').trim())
    .filter((message) => message.length > 0);
  const outer = messages[0] ?? String(error);
  const inner = messages[messages.length - 1] ?? outer;
  return inner === outer ? outer : `${outer}: ${inner}`;
}
