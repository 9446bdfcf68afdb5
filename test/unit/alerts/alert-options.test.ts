import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { alertOptions } from '../../../src/alerts/alert-options.js';
import { ConfigError } from '../../../src/config-error.js';
import type { ParsedArgs } from '../../../src/option-group.js';

/** The parsed arguments with every default, as yargs hands them over. */
function read(overrides: ParsedArgs) {
  const defaults = Object.fromEntries(Object.entries(alertOptions.options).filter(([, option]) => option.default !== undefined).map(([flag, option]) => [flag, option.default]));
  return alertOptions.read({ ...defaults, ...overrides });
}

describe('alert options', () => {
  it('are off by default: no receiver', () => {
    const config = read({});
    assert.deepEqual([config.alertmanagers, config.webhooks], [[], []]);
    assert.deepEqual(config.subject, ['user', 'namespace', 'resource']);
  });

  it('post to <url>/api/v2/alerts of every Alertmanager listed, with or without a path prefix', () => {
    const config = read({ 'alertmanager-url': 'http://am-0:9093,https://am-1:9093/alertmanager' });
    assert.deepEqual(config.alertmanagers.map((endpoint) => endpoint.url.toString()), ['http://am-0:9093/api/v2/alerts', 'https://am-1:9093/alertmanager/api/v2/alerts']);
  });

  it('read labels, subject, node and the Slack format', () => {
    const config = read({ 'alert-webhook-url': 'https://hooks.example/x', 'alert-webhook-format': 'slack', 'alerts-labels': 'cluster=prod-eu, team=sec', 'alerts-subject': 'user,verb', 'alerts-node-name': 'cp-2' });
    assert.equal(config.webhookFormat, 'slack');
    assert.deepEqual(config.extraLabels, { cluster: 'prod-eu', team: 'sec' });
    assert.deepEqual(config.subject, ['user', 'verb']);
    assert.equal(config.node, 'cp-2');
  });

  it('read webhook URLs from a file, and never show a webhook URL path (the secret of a Slack hook) in logs or metrics', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kaf-alert-options-'));
    writeFileSync(path.join(dir, 'urls'), 'https://hooks.slack.com/services/T0/B0/s3cr3t\nhttps://hooks.example/other\n');
    const config = read({ 'alert-webhook-url': 'https://ignored.example/x', 'alert-webhook-url-file': path.join(dir, 'urls') });
    assert.deepEqual(config.webhooks.map((endpoint) => endpoint.url.toString()), ['https://hooks.slack.com/services/T0/B0/s3cr3t', 'https://hooks.example/other']);
    assert.deepEqual(config.webhooks.map((endpoint) => endpoint.displayUrl), ['https://hooks.slack.com/…', 'https://hooks.example/…']);
    writeFileSync(path.join(dir, 'bad'), 'ftp://hooks.example/s3cr3t');
    assert.throws(() => read({ 'alert-webhook-url-file': path.join(dir, 'bad') }), (error: Error) => /--alert-webhook-url-file: an entry must be an http/.test(error.message) && !error.message.includes('s3cr3t'));
    const am = read({ 'alertmanager-url': 'https://user:pw@am:9093' });
    assert.equal(am.alertmanagers[0]!.displayUrl, 'https://am:9093/api/v2/alerts');
  });

  it('name the setting in every refusal', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kaf-alert-options-'));
    writeFileSync(path.join(dir, 'token'), 'x');
    const refusals: Array<[ParsedArgs, RegExp]> = [
      [{ 'alertmanager-url': 'am-0:9093' }, /--alertmanager-url: "am-0:9093" must be an http/],
      [{ 'alertmanager-url': 'not a url' }, /--alertmanager-url: "not a url" is not a URL/],
      [{ 'alert-webhook-url': 'http://h', 'alert-webhook-bearer-token-file': path.join(dir, 'missing') }, /--alert-webhook-bearer-token-file: .* does not exist/],
      [{ 'alertmanager-url': 'http://h', 'alertmanager-basic-auth-username': 'u' }, /--alertmanager-basic-auth-username and --alertmanager-basic-auth-password-file go together/],
      [{ 'alertmanager-url': 'http://h', 'alertmanager-cert-file': path.join(dir, 'token') }, /--alertmanager-cert-file: .* is not a PEM file/],
      [{ 'alerts-subject': 'user,pod' }, /--alerts-subject: unknown field "pod"/],
      [{ 'alerts-labels': 'bad-name=x' }, /--alerts-labels: "bad-name=x"/],
      [{ 'alerts-resend-interval-ms': '60000', 'alerts-resolve-after-ms': '30000' }, /--alerts-resolve-after-ms \(30000\) must be greater than --alerts-resend-interval-ms/],
      [{ 'alert-webhook-burst': '0' }, /--alert-webhook-burst: 0 is not between 1/],
      [{ 'alerts-min-severity': 'urgent' }, /--alerts-min-severity: "urgent" is not one of/],
    ];
    for (const [args, message] of refusals) assert.throws(() => read(args), (error: unknown) => error instanceof ConfigError && message.test(error.message), JSON.stringify(args));
  });
});
