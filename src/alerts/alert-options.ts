import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { ConfigError } from '../config-error.js';
import { integer, oneOf, optionalString, pemFile, stringList } from '../config-values.js';
import type { OptionGroup, OptionSpec, ParsedArgs } from '../option-group.js';
import { SUBJECT_FIELDS, type SubjectField } from './detection.js';
import { withoutCredentials, type EndpointConfig } from './http-endpoint.js';
import type { WebhookFormat } from './webhook-notifier.js';

/** A receiver that has not answered a POST in this long counts as unreachable (the POST is retried). */
const POST_TIMEOUT_MS = 10_000;

const SEVERITY_ORDER = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type AlertSeverity = (typeof SEVERITY_ORDER)[number];

export interface AlertConfig {
  alertmanagers: EndpointConfig[];
  webhooks: EndpointConfig[];
  webhookFormat: WebhookFormat;
  webhookBurst: number;
  webhookIntervalMs: number;
  /** Rules below this severity raise no alert (their events are still annotated and shipped). */
  minSeverity: AlertSeverity;
  subject: SubjectField[];
  node: string;
  extraLabels: Record<string, string>;
  resendIntervalMs: number;
  resolveAfterMs: number;
  maxActive: number;
  queueSize: number;
  retryMinMs: number;
  retryMaxMs: number;
  giveUpAfterMs: number;
}

/** Whether a rule of `severity` raises alerts at `minSeverity`; unknown severities do. */
export function severityAlerts(severity: string, minSeverity: AlertSeverity): boolean {
  const rank = (SEVERITY_ORDER as readonly string[]).indexOf(severity);
  return rank < 0 || rank >= SEVERITY_ORDER.indexOf(minSeverity);
}

/** The TLS and credential flags of one receiver kind, `--<prefix>-ca-file` and so on. */
function endpointOptions(prefix: string, what: string): Record<string, OptionSpec> {
  return {
    [`${prefix}-ca-file`]: { kind: 'string', describe: `PEM file of CA certificates that sign the ${what}'s certificate (https URLs)` },
    [`${prefix}-cert-file`]: { kind: 'string', describe: `PEM client certificate for mutual TLS with the ${what}` },
    [`${prefix}-key-file`]: { kind: 'string', describe: `PEM key of --${prefix}-cert-file` },
    [`${prefix}-bearer-token-file`]: { kind: 'string', describe: `File holding a bearer token for the ${what} (read on every request, so a rotated Secret applies)` },
    [`${prefix}-basic-auth-username`]: { kind: 'string', describe: `User for HTTP basic auth with the ${what} (password from --${prefix}-basic-auth-password-file)` },
    [`${prefix}-basic-auth-password-file`]: { kind: 'string', describe: `File holding the basic-auth password (read on every request)` },
  };
}

export const alertOptions: OptionGroup<AlertConfig> = {
  title: 'Alerts (detections to Alertmanager and webhooks):',
  options: {
    'alertmanager-url': {
      kind: 'string',
      describe: 'Alertmanager base URL(s), comma-separated (an HA cluster: list every instance, each gets every alert), e.g. http://alertmanager:9093; alerts go to <url>/api/v2/alerts',
    },
    ...endpointOptions('alertmanager', 'Alertmanager'),
    'alerts-resend-interval-ms': { kind: 'integer', default: 60000, describe: 'A firing alert is sent to Alertmanager again this often, with its latest matches' },
    'alerts-resolve-after-ms': { kind: 'integer', default: 300000, describe: 'An alert with no match for this long is resolved (its endsAt); must exceed the resend interval' },
    'alert-webhook-url': { kind: 'string', describe: 'Webhook URL(s), comma-separated, that each get one JSON POST per (rate-limited) detection' },
    'alert-webhook-url-file': { kind: 'string', describe: 'File holding the webhook URL(s), comma- or newline-separated, for URLs that are secrets themselves (Slack incoming webhooks); replaces --alert-webhook-url' },
    'alert-webhook-format': { kind: 'choice', default: 'json', choices: ['json', 'slack'], describe: 'Webhook body: the full alert as JSON, or {"text": ...} for Slack-compatible incoming webhooks' },
    ...endpointOptions('alert-webhook', 'webhook'),
    'alert-webhook-burst': { kind: 'integer', default: 1, describe: 'Webhook messages per rule and subject at most in each --alert-webhook-interval-ms; further matches are counted and reported in one message when the interval ends' },
    'alert-webhook-interval-ms': { kind: 'integer', default: 60000, describe: 'The webhook rate-limit interval' },
    'alerts-min-severity': { kind: 'choice', default: 'info', choices: [...SEVERITY_ORDER], describe: 'Rules below this severity raise no alert (their events are still annotated and shipped)' },
    'alerts-subject': {
      kind: 'string',
      default: 'user,namespace,resource',
      describe: `The event fields that, with the rule, make one alert (and its labels), comma-separated: ${SUBJECT_FIELDS.join(', ')}`,
    },
    'alerts-node-name': { kind: 'string', describe: 'The node label of alerts; default: $NODE_NAME (the DaemonSet sets it), else the host name' },
    'alerts-labels': { kind: 'string', describe: 'Extra labels on every alert, comma-separated name=value pairs, e.g. cluster=prod-eu' },
    'alerts-max-active': { kind: 'integer', default: 10000, describe: 'Alerts (rule and subject pairs) tracked at most; matches for more are dropped and counted' },
    'alerts-queue-size': { kind: 'integer', default: 1000, describe: 'Alerts waiting per receiver at most; more are dropped and counted, shipping never waits' },
    'alerts-retry-min-ms': { kind: 'integer', default: 500, describe: 'First delay before a failed alert POST is retried (doubling, with jitter)' },
    'alerts-retry-max-ms': { kind: 'integer', default: 30000, describe: 'Longest delay between alert POST retries' },
    'alerts-give-up-after-ms': { kind: 'integer', default: 600000, describe: 'An alert still undelivered this long after it was queued is dropped and counted' },
  },
  read(argv) {
    const resendIntervalMs = integer(argv, 'alerts-resend-interval-ms', 100);
    const resolveAfterMs = integer(argv, 'alerts-resolve-after-ms', 100);
    if (resolveAfterMs <= resendIntervalMs) {
      throw new ConfigError(`--alerts-resolve-after-ms (${resolveAfterMs}) must be greater than --alerts-resend-interval-ms (${resendIntervalMs}), or firing alerts would lapse between sends`);
    }
    const timeoutMs = POST_TIMEOUT_MS;
    return {
      alertmanagers: endpoints(argv, { flag: 'alertmanager-url', values: stringList(argv, 'alertmanager-url') }, 'alertmanager', timeoutMs).map((endpoint) => {
        const url = new URL('api/v2/alerts', withSlash(endpoint.url));
        return { ...endpoint, url, displayUrl: withoutCredentials(url) };
      }),
      webhooks: endpoints(argv, webhookUrls(argv), 'alert-webhook', timeoutMs),
      webhookFormat: oneOf(argv, 'alert-webhook-format', ['json', 'slack'] as const),
      webhookBurst: integer(argv, 'alert-webhook-burst', 1, 1_000_000),
      webhookIntervalMs: integer(argv, 'alert-webhook-interval-ms', 100),
      minSeverity: oneOf(argv, 'alerts-min-severity', SEVERITY_ORDER),
      subject: subjectFields(argv),
      node: optionalString(argv, 'alerts-node-name') ?? process.env.NODE_NAME ?? hostname(),
      extraLabels: extraLabels(argv),
      resendIntervalMs,
      resolveAfterMs,
      maxActive: integer(argv, 'alerts-max-active', 1),
      queueSize: integer(argv, 'alerts-queue-size', 1),
      retryMinMs: integer(argv, 'alerts-retry-min-ms', 1),
      retryMaxMs: integer(argv, 'alerts-retry-max-ms', 1),
      giveUpAfterMs: integer(argv, 'alerts-give-up-after-ms', 1),
    };
  },
};

function withSlash(url: URL): URL {
  const copy = new URL(url);
  if (!copy.pathname.endsWith('/')) copy.pathname += '/';
  return copy;
}

/** Where the webhook URLs come from: the file when given (its flag then names errors), else the flag. */
function webhookUrls(argv: ParsedArgs): { flag: string; values: string[] } {
  const file = optionalString(argv, 'alert-webhook-url-file');
  if (file === undefined) return { flag: 'alert-webhook-url', values: stringList(argv, 'alert-webhook-url') };
  try {
    return { flag: 'alert-webhook-url-file', values: stringList({ urls: readFileSync(file, 'utf8').split(/\r?\n/).join(',') }, 'urls') };
  } catch (error) {
    throw new ConfigError(`--alert-webhook-url-file: cannot read ${file}: ${(error as Error).message}`);
  }
}

function endpoints(argv: ParsedArgs, { flag: urlFlag, values }: { flag: string; values: string[] }, prefix: string, timeoutMs: number): EndpointConfig[] {
  const urls = values.map((text) => {
    // A URL read from a file may be a secret (a Slack webhook): errors do not repeat it.
    const shown = urlFlag.endsWith('-file') ? 'an entry' : `"${text}"`;
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new ConfigError(`--${urlFlag}: ${shown} is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`--${urlFlag}: ${shown} must be an http:// or https:// URL`);
    return url;
  });
  if (urls.length === 0) return [];
  const cert = pemFile(argv, `${prefix}-cert-file`);
  const key = pemFile(argv, `${prefix}-key-file`);
  if ((cert === undefined) !== (key === undefined)) throw new ConfigError(`--${prefix}-cert-file and --${prefix}-key-file go together`);
  const bearerTokenFile = readableFile(argv, `${prefix}-bearer-token-file`);
  const username = optionalString(argv, `${prefix}-basic-auth-username`);
  const passwordFile = readableFile(argv, `${prefix}-basic-auth-password-file`);
  if ((username === undefined) !== (passwordFile === undefined)) {
    throw new ConfigError(`--${prefix}-basic-auth-username and --${prefix}-basic-auth-password-file go together`);
  }
  if (bearerTokenFile !== undefined && username !== undefined) throw new ConfigError(`--${prefix}-bearer-token-file and --${prefix}-basic-auth-username exclude each other`);
  const ca = pemFile(argv, `${prefix}-ca-file`);
  return urls.map((url) => ({
    url,
    // Webhook URLs often carry their secret in the path (Slack): logs and metrics show the origin only.
    displayUrl: prefix === 'alertmanager' ? withoutCredentials(url) : `${url.origin}/…`,
    ca,
    cert,
    key,
    bearerTokenFile,
    ...(username !== undefined && passwordFile !== undefined ? { basicAuth: { username, passwordFile } } : {}),
    timeoutMs,
  }));
}

/** A credentials file must exist at start; it is read again on every request. */
function readableFile(argv: ParsedArgs, flag: string): string | undefined {
  const file = optionalString(argv, flag);
  if (file !== undefined && !existsSync(file)) throw new ConfigError(`--${flag}: ${file} does not exist`);
  return file;
}

function subjectFields(argv: ParsedArgs): SubjectField[] {
  const fields = stringList(argv, 'alerts-subject');
  for (const field of fields) {
    if (!(SUBJECT_FIELDS as readonly string[]).includes(field)) {
      throw new ConfigError(`--alerts-subject: unknown field "${field}" (one of ${SUBJECT_FIELDS.join(', ')})`);
    }
  }
  return fields as SubjectField[];
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function extraLabels(argv: ParsedArgs): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of stringList(argv, 'alerts-labels')) {
    const equals = pair.indexOf('=');
    const name = equals < 0 ? pair : pair.slice(0, equals).trim();
    if (equals < 0 || !LABEL_NAME.test(name)) throw new ConfigError(`--alerts-labels: "${pair}" is not name=value with a Prometheus label name`);
    labels[name] = pair.slice(equals + 1).trim();
  }
  return labels;
}
