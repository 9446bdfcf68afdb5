import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadCorpusManifest } from '../../../bench/corpus.js';
import { measureFluentBitCatchUp } from '../../../bench/peers/fluent-bit.js';
import { AuditEventFactory, readRealAuditLines } from '../../helpers/audit-event-factory.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';
import { readOtlpRecords } from '../../helpers/forward/otlp-records.js';
import { OtelForwardServer, freePort, runServerScript } from '../../helpers/forward/server-scripts.js';
import { recordKey } from '../../helpers/sink-output.js';

/**
 * The benchmark's Fluent Bit peer (bench/peers/fluent-bit.ts) as configured for the forward side by
 * side, into the receiver the agent is measured against. Fluent Bit cannot be installed on the CI
 * machine, so this runs where FLUENT_BIT names a fluent-bit binary (as for `make bench`).
 */
describe('benchmark peer: Fluent Bit tail → forward with acks → OpenTelemetry Collector fluentforward receiver', function () {
  this.timeout(300_000);
  const binary = process.env.FLUENT_BIT;
  const root = mkdtempSync(path.join(tmpdir(), 'kaf-fluent-bit-peer-'));
  let server: OtelForwardServer | undefined;

  before(async function () {
    if (!binary) this.skip();
    this.timeout(900_000);
    await runServerScript('forward-server.sh', ['build'], 900_000);
  });

  after(async () => {
    await server?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('delivers every event of the corpus, acked, with records equal to the lines written', async () => {
    const lines = new AuditEventFactory({ seed: 21, realLines: readRealAuditLines(CORPUS_DIR) }).lines(5_000);
    const corpusDir = path.join(root, 'corpus');
    mkdirSync(path.join(corpusDir, 'log'), { recursive: true });
    const text = `${lines.join('\n')}\n`;
    writeFileSync(path.join(corpusDir, 'log', 'audit.log'), text);
    const lineBytes = { min: 0, p50: 0, p99: 0, max: 0 };
    const files = [{ name: 'audit.log', sizeOnDisk: Buffer.byteLength(text), compressed: false }];
    writeFileSync(path.join(corpusDir, 'corpus.json'), JSON.stringify({ seed: 21, events: lines.length, bytes: Buffer.byteLength(text), files, lineBytes }));
    server = new OtelForwardServer(await freePort(), path.join(root, 'receiver'));
    await server.start();

    // Timed by Fluent Bit's proc_records: records whose chunk the receiver acked.
    const measured = await measureFluentBitCatchUp({
      name: 'fluent-bit: tail → forward',
      binary: binary!,
      corpus: loadCorpusManifest(corpusDir),
      workDir: path.join(root, 'fluent-bit'),
      output: { kind: 'forward', host: '127.0.0.1', port: server.port },
      timeoutSeconds: 60,
    });
    assert.equal(measured.delivered, lines.length);
    await server.stop();

    const received = new Map(readOtlpRecords(server.outputPath).map((copy) => [recordKey(copy.record.auditID as string, copy.record.stage as string), copy]));
    for (const line of lines) {
      const event = JSON.parse(line) as Record<string, unknown>;
      const copy = received.get(recordKey(event.auditID as string, event.stage as string));
      assert.ok(copy, `${String(event.auditID)} missing at the receiver`);
      assert.deepEqual(copy.record, event);
      assert.equal(copy.tag, 'audit');
    }
  });
});
