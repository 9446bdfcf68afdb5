import assert from 'node:assert/strict';
import { LineSplitter, type Line } from '../../../src/source/line-splitter.js';

function collect(splitter: LineSplitter, ...chunks: string[]): Line[] {
  const lines: Line[] = [];
  for (const chunk of chunks) splitter.push(Buffer.from(chunk), (line) => lines.push(line));
  return lines;
}

describe('LineSplitter', () => {
  it('gives each complete line with the byte range a checkpoint may point past', () => {
    const splitter = new LineSplitter(1024, 4096, 100);
    const lines = collect(splitter, '{"a":1}\n{"b":2}\n');
    assert.deepEqual(
      lines.map((line) => [line.bytes.toString(), line.start, line.end]),
      [
        ['{"a":1}', 100, 108],
        ['{"b":2}', 108, 116],
      ],
    );
    assert.equal(splitter.completeOffset, 116);
  });

  it('holds back a partial last line and completes it from the next chunk', () => {
    const splitter = new LineSplitter(1024, 4096, 0);
    assert.equal(collect(splitter, '{"a":', '1').length, 0);
    assert.equal(splitter.completeOffset, 0);
    assert.equal(splitter.pendingBytes, 6);
    const lines = collect(splitter, '}\nrest');
    assert.equal(lines[0]!.bytes.toString(), '{"a":1}');
    assert.equal(lines[0]!.end, 8);
    assert.equal(splitter.completeOffset, 8);
    assert.equal(splitter.pendingBytes, 4);
  });

  it('strips a carriage return before the newline but counts it in the offsets', () => {
    const splitter = new LineSplitter(1024, 4096, 0);
    const [line] = collect(splitter, '{"a":1}\r\n');
    assert.equal(line!.bytes.toString(), '{"a":1}');
    assert.equal(line!.end, 9);
  });

  it('marks a line over maxLineBytes as oversize but keeps it whole', () => {
    const splitter = new LineSplitter(10, 4096, 0);
    const [line] = collect(splitter, 'x'.repeat(30), 'y'.repeat(30) + '\n');
    assert.equal(line!.oversize, true);
    assert.equal(line!.clipped, false);
    assert.equal(line!.bytes.length, 60);
  });

  it('keeps only hardCapBytes of a runaway line yet reports its true end offset', () => {
    const splitter = new LineSplitter(10, 50, 0);
    const [line, next] = collect(splitter, 'x'.repeat(40), 'x'.repeat(40), 'x'.repeat(20) + '\n{}\n');
    assert.equal(line!.clipped, true);
    assert.equal(line!.bytes.length, 50);
    assert.equal(line!.end, 101);
    assert.equal(next!.start, 101);
  });

  it('flushes the unterminated tail of a finished file as a final line', () => {
    const splitter = new LineSplitter(1024, 4096, 0);
    collect(splitter, '{"a":1}\n{"b"');
    const lines: Line[] = [];
    splitter.flushFinalLine((line) => lines.push(line));
    assert.equal(lines[0]!.bytes.toString(), '{"b"');
    assert.equal(lines[0]!.end, 12);
    assert.equal(splitter.pendingBytes, 0);
  });
});
