import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { AuditEventFactory, readRealAuditLines } from '../../helpers/audit-event-factory.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const STAGE_ORDER: Record<string, number> = { RequestReceived: 0, ResponseStarted: 1, ResponseComplete: 2 };

describe('AuditEventFactory', () => {
  let lines: string[];
  let events: Record<string, unknown>[];

  before(() => {
    lines = new AuditEventFactory({ seed: 1 }).lines(50_000);
    events = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  });

  it('produces the same lines for the same seed and different lines for another seed', () => {
    assert.deepEqual(new AuditEventFactory({ seed: 1 }).lines(2_000), lines.slice(0, 2_000));
    const other = new AuditEventFactory({ seed: 2 }).lines(2_000);
    assert.equal(other.filter((line, index) => line === lines[index]).length, 0);
  });

  it('writes audit.k8s.io/v1 Events with UUID auditIDs and a unique (auditID, stage) per line', () => {
    const keys = new Set<string>();
    for (const event of events) {
      assert.equal(event.kind, 'Event');
      assert.equal(event.apiVersion, 'audit.k8s.io/v1');
      assert.match(event.auditID as string, UUID_V4);
      assert.ok((event.stage as string) in STAGE_ORDER, `unexpected stage ${String(event.stage)}`);
      assert.match(event.requestReceivedTimestamp as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
      keys.add(`${event.auditID as string}/${event.stage as string}`);
    }
    assert.equal(keys.size, events.length);
  });

  it('emits the stages of one request in order, interleaved with other requests', () => {
    const lastStage = new Map<string, { stage: number; index: number }>();
    let interleaved = 0;
    events.forEach((event, index) => {
      const stage = STAGE_ORDER[event.stage as string]!;
      const previous = lastStage.get(event.auditID as string);
      if (previous) {
        assert.ok(previous.stage < stage, `stage order broken for ${event.auditID as string}`);
        if (index - previous.index > 1) interleaved++;
      }
      lastStage.set(event.auditID as string, { stage, index });
    });
    const multiStage = events.length - lastStage.size;
    assert.ok(multiStage > 5_000, `only ${multiStage} later stages`);
    assert.ok(interleaved > multiStage / 2, `only ${interleaved} of ${multiStage} later stages interleaved`);
  });

  it('sizes events mostly around 1 KB, from about 400 B up to over 100 KB', () => {
    const sizes = lines.map((line) => Buffer.byteLength(line)).sort((a, b) => a - b);
    const median = sizes[sizes.length >> 1]!;
    assert.ok(median > 700 && median < 1_500, `median ${median}`);
    assert.ok(sizes[0]! < 600, `smallest ${sizes[0]}`);
    assert.ok(sizes[sizes.length - 1]! > 100_000, `largest ${sizes[sizes.length - 1]}`);
    assert.ok(events.some((event) => event.level === 'RequestResponse' && event.responseObject !== undefined));
  });

  it('escapes &, < and > the way Go encoding/json does and keeps the non-ASCII µ raw', () => {
    assert.ok(lines.every((line) => !/[<>&]/.test(line)));
    assert.ok(lines.some((line) => line.includes('\\u0026')));
    assert.ok(lines.some((line) => line.includes('µs"')));
  });

  it('mixes in real corpus events byte for byte except for a fresh auditID', function () {
    if (!existsSync(CORPUS_DIR)) this.skip();
    const real = readRealAuditLines(CORPUS_DIR);
    assert.ok(real.length >= 40, `only ${real.length} real lines`);
    const mixed = new AuditEventFactory({ seed: 3, realLines: real, realLineFraction: 0.5 }).lines(400);
    const withoutId = (line: string): string => line.replace(/"auditID":"[^"]*"/, '"auditID":""');
    const realShapes = new Set(real.map(withoutId));
    const fromCorpus = mixed.filter((line) => realShapes.has(withoutId(line)));
    assert.ok(fromCorpus.length > 100, `only ${fromCorpus.length} real lines mixed in`);
    const originalIds = new Set(real.map((line) => /"auditID":"([^"]*)"/.exec(line)![1]));
    const keys = new Set(mixed.map((line) => { const e = JSON.parse(line) as { auditID: string; stage: string }; return `${e.auditID}/${e.stage}`; }));
    assert.equal(keys.size, mixed.length);
    assert.ok(fromCorpus.every((line) => !originalIds.has(/"auditID":"([^"]*)"/.exec(line)![1]!)));
  });
});
