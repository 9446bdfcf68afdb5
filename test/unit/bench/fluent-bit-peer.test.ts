import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadCorpusManifest } from '../../../bench/corpus.js';
import { fluentBitConfig } from '../../../bench/peers/fluent-bit.js';
import { plainCorpusOf } from '../../../bench/peers/plain-corpus.js';

/** The settings of a classic-format section, as key → value. */
function sectionOf(config: string, name: string): Map<string, string> {
  const body = config.split(`[${name}]\n`)[1]!.split('\n[')[0]!;
  return new Map(
    body
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => {
        const [key, ...value] = line.trim().split(/\s+/);
        return [key!, value.join(' ')];
      }),
  );
}

describe('Fluent Bit peer of the benchmark', () => {
  const base = { logDir: '/corpus/log', workDir: '/scratch/fb', httpPort: 38001 };

  it('tails every audit*.log from its head with an offsets DB and the json parser, monitoring API on', () => {
    const config = fluentBitConfig({ ...base, output: { kind: 'file', path: '/scratch/out/events.jsonl' } });
    const input = sectionOf(config, 'INPUT');
    assert.equal(input.get('Name'), 'tail');
    assert.equal(input.get('Path'), '/corpus/log/audit*.log');
    assert.equal(input.get('DB'), '/scratch/fb/offsets.db');
    assert.equal(input.get('Parser'), 'json');
    assert.equal(input.get('Read_from_Head'), 'On');
    assert.equal(input.get('Buffer_Max_Size'), '16MB');
    const service = sectionOf(config, 'SERVICE');
    assert.equal(service.get('HTTP_Server'), 'On');
    assert.equal(service.get('HTTP_Port'), '38001');
    const output = sectionOf(config, 'OUTPUT');
    assert.deepEqual([output.get('Name'), output.get('Path'), output.get('File'), output.get('Retry_Limit')], ['file', '/scratch/out', 'events.jsonl', 'no_limits']);
  });

  it('forwards with acknowledgements and retries without limit', () => {
    const output = sectionOf(fluentBitConfig({ ...base, output: { kind: 'forward', host: '127.0.0.1', port: 24224 } }), 'OUTPUT');
    assert.deepEqual(
      ['Name', 'Host', 'Port', 'Require_ack_response', 'Retry_Limit'].map((key) => output.get(key)),
      ['forward', '127.0.0.1', '24224', 'On', 'no_limits'],
    );
  });

  it('forwards plain [EventTime, record] entries, without the metadata the collector receiver cannot parse', () => {
    const output = sectionOf(fluentBitConfig({ ...base, output: { kind: 'forward', host: '127.0.0.1', port: 24224 } }), 'OUTPUT');
    assert.equal(output.get('Retain_Metadata_In_Forward_Mode'), 'Off');
    assert.equal(output.get('Compress'), undefined, 'uncompressed, as the agent is measured beside it');
  });

  it('produces to Kafka with acks from every in-sync replica and an idempotent producer', () => {
    const output = sectionOf(fluentBitConfig({ ...base, output: { kind: 'kafka', brokers: '127.0.0.1:9092', topic: 'audit' } }), 'OUTPUT');
    assert.deepEqual(
      ['Name', 'Brokers', 'Topics', 'rdkafka.request.required.acks', 'rdkafka.enable.idempotence'].map((key) => output.get(key)),
      ['kafka', '127.0.0.1:9092', 'audit', '-1', 'true'],
    );
  });

  it('gives Fluent Bit a plain copy of the corpus: gzipped backups decompressed under the same name minus .gz', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'kaf-bench-plain-'));
    try {
      const log = path.join(root, 'corpus', 'log');
      mkdirSync(log, { recursive: true });
      writeFileSync(path.join(log, 'audit-2024-01-01T00-00-00.000.log.gz'), gzipSync('{"a":1}\n'));
      writeFileSync(path.join(log, 'audit.log'), '{"b":2}\n');
      const files = [
        { name: 'audit-2024-01-01T00-00-00.000.log.gz', sizeOnDisk: 0, compressed: true },
        { name: 'audit.log', sizeOnDisk: 8, compressed: false },
      ];
      const lineBytes = { min: 8, p50: 8, p99: 8, max: 8 };
      writeFileSync(path.join(root, 'corpus', 'corpus.json'), JSON.stringify({ seed: 1, events: 2, bytes: 16, files, lineBytes }));
      const plain = await plainCorpusOf(loadCorpusManifest(path.join(root, 'corpus')));
      assert.deepEqual(readdirSync(plain.dir).sort(), ['audit-2024-01-01T00-00-00.000.log', 'audit.log']);
      assert.equal(readFileSync(path.join(plain.dir, 'audit-2024-01-01T00-00-00.000.log'), 'utf8'), '{"a":1}\n');
      assert.deepEqual([plain.events, plain.files.every((file) => !file.compressed)], [2, true]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
