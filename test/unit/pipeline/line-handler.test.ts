import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isProxy } from 'node:util/types';
import winston from 'winston';
import { AgentMetrics } from '../../../src/observability/metrics.js';
import type { AuditEvent } from '../../../src/audit/audit-event.js';
import type { AuditRecord, Batch } from '../../../src/pipeline/audit-record.js';
import { Batcher } from '../../../src/pipeline/batcher.js';
import { DeadLetterFile } from '../../../src/pipeline/dead-letter.js';
import { LineHandler } from '../../../src/pipeline/line-handler.js';
import type { Processor } from '../../../src/pipeline/processor.js';

interface TestFile {
  key: string;
}

/** A processor that only records the events it was given. */
class RecordingProcessor implements Processor {
  readonly name = 'recording';
  readonly seen: AuditEvent[] = [];
  constructor(readonly readsEveryEvent: boolean) {}
  process(record: AuditRecord): 'keep' {
    this.seen.push(record.event);
    return 'keep';
  }
}

function handlerWith(processors: Processor[], releaseParsedEvents = false): { handler: LineHandler<TestFile>; batches: Batch[]; deadLetter: DeadLetterFile } {
  const batches: Batch[] = [];
  const deadLetter = new DeadLetterFile(mkdtempSync(path.join(tmpdir(), 'kaf-line-handler-')));
  const handler = new LineHandler<TestFile>({
    maxLineBytes: 1 << 20,
    oversizePolicy: 'truncate',
    invalidLinePolicy: 'dead-letter',
    processors,
    releaseParsedEvents,
    batcher: new Batcher<TestFile>({ maxEvents: 1, maxBytes: 1 << 20, lingerMs: 1000, onSeal: (batch) => batches.push(batch) }),
    deadLetter,
    countRead: () => undefined,
    metrics: new AgentMetrics({ nodeDefaults: false }),
    logger: winston.createLogger({ silent: true }),
  });
  return { handler, batches, deadLetter };
}

function handleText(handler: LineHandler<TestFile>, text: string): void {
  const bytes = Buffer.from(text);
  handler.handle({ key: 'f' }, '/var/log/kubernetes/audit.log', { bytes, start: 0, end: bytes.length + 1, oversize: false, clipped: false });
}

describe('LineHandler', () => {
  it('gives processors that read every event a plain parsed object', () => {
    const processor = new RecordingProcessor(true);
    const { handler } = handlerWith([processor]);
    handleText(handler, '{"auditID":"a","verb":"get"}');
    assert.equal(isProxy(processor.seen[0]), false);
    assert.deepEqual(processor.seen[0], { auditID: 'a', verb: 'get' });
  });

  it('only scans the line when no processor reads every event: the event is parsed on demand', () => {
    const processor = new RecordingProcessor(false);
    const { handler, batches } = handlerWith([processor]);
    handleText(handler, '{"auditID":"a","verb":"get"}');
    assert.equal(isProxy(processor.seen[0]), true);
    assert.equal(processor.seen[0]!.verb, 'get');
    assert.equal(batches[0]!.records[0]!.value.toString(), '{"auditID":"a","verb":"get"}');
  });

  it('a processor that keeps an event (an alert) reads its own line later, though the next lines reuse the member tables it was scanned into', () => {
    const processor = new RecordingProcessor(false);
    const { handler, batches } = handlerWith([processor], true);
    handleText(handler, '{"auditID":"a","verb":"get","user":{"username":"alice","groups":["dev"]}}');
    handleText(handler, '{"kind":"Event","stage":"ResponseComplete","auditID":"second","verb":"delete","user":{"username":"bob"}}');
    handleText(handler, '{"verb":"list"}');
    // Read only now: the lazily parsed events find their fields through the member tables.
    assert.deepEqual(processor.seen.map((event) => [event.auditID, event.verb, (event.user as { username?: string } | undefined)?.username]), [
      ['a', 'get', 'alice'],
      ['second', 'delete', 'bob'],
      [undefined, 'list', undefined],
    ]);
    assert.deepEqual(batches.map((batch) => batch.records[0]!.value.toString()), [
      '{"auditID":"a","verb":"get","user":{"username":"alice","groups":["dev"]}}',
      '{"kind":"Event","stage":"ResponseComplete","auditID":"second","verb":"delete","user":{"username":"bob"}}',
      '{"verb":"list"}',
    ]);
  });

  for (const readsEveryEvent of [true, false]) {
    it(`dead-letters an invalid line with JSON.parse's reason (${readsEveryEvent ? 'parsed' : 'scanned'} lines)`, () => {
      const { handler, batches, deadLetter } = handlerWith([new RecordingProcessor(readsEveryEvent)]);
      handleText(handler, '{"auditID":"a",');
      deadLetter.close();
      assert.equal(batches.length, 0);
      const entry = JSON.parse(readFileSync(deadLetter.path, 'utf8')) as { reason: string; line: string };
      assert.equal(entry.line, '{"auditID":"a",');
      assert.match(entry.reason, /^not valid JSON: /);
    });
  }
});
