import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { countOccurrences } from '../../../bench/count-occurrences.js';
import { eventKey } from '../../../bench/event-key.js';

describe('benchmark helpers', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'kaf-bench-test-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('countOccurrences finds each match once, also across its 1 MiB read boundaries', async () => {
    const pattern = '"key":"fluent.tag"';
    // Put one match straddling the first chunk boundary, others around it.
    const head = 'x'.repeat(1024 * 1024 - 5);
    const text = `${pattern}${head.slice(pattern.length)}${pattern}${'y'.repeat(100)}${pattern}${pattern}`;
    const file = path.join(dir, 'out');
    writeFileSync(file, text);
    assert.equal(await countOccurrences(file, Buffer.from(pattern)), 4);
  });

  it('eventKey reads auditID and stage from the line bytes, and nothing from a line without them', () => {
    const line = Buffer.from('{"kind":"Event","level":"Metadata","auditID":"5f7e","stage":"ResponseComplete","requestObject":{"stage":"x"}}');
    assert.equal(eventKey(line), '5f7e/ResponseComplete');
    assert.equal(eventKey(Buffer.from('{"kind":"Event"}')), undefined);
  });
});
