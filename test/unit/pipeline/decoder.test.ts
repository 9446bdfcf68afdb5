import assert from 'node:assert/strict';
import { decodeLine } from '../../../src/pipeline/decoder.js';
import { jsonLinesCorpusFiles, rawLines } from '../../helpers/corpus.js';

describe('decodeLine', () => {
  it('decodes an event object and keeps unknown fields', () => {
    const decoded = decodeLine(Buffer.from('{"kind":"Event","auditID":"x","futureField":{"a":[1]}}'));
    assert.equal(decoded.kind, 'event');
    assert.deepEqual(decoded.kind === 'event' && decoded.event.futureField, { a: [1] });
  });

  for (const [text, why] of [
    ['garbage{', 'garbage'],
    ['{"auditID":"cut', 'a truncated write'],
    ['[1,2]', 'an array'],
    ['"text"', 'a bare string'],
    ['null', 'null'],
  ] as const) {
    it(`calls ${why} invalid, with a reason`, () => {
      const decoded = decodeLine(Buffer.from(text));
      assert.equal(decoded.kind, 'invalid');
      assert.ok(decoded.kind === 'invalid' && decoded.reason.length > 0);
    });
  }

  it('treats a blank line as empty, not invalid', () => {
    assert.equal(decodeLine(Buffer.from('  \r')).kind, 'empty');
  });

  it('tolerates a UTF-8 byte-order mark (AKS exports carry one)', () => {
    assert.equal(decodeLine(Buffer.from('\uFEFF{"auditID":"x"}')).kind, 'event');
  });

  it('decodes a line with a byte that is not UTF-8', () => {
    const line = Buffer.concat([Buffer.from('{"auditID":"x","userAgent":"'), Buffer.from([0xff]), Buffer.from('"}')]);
    assert.equal(decodeLine(line).kind, 'event');
  });

  describe('every real event in the shared corpus', () => {
    const files = jsonLinesCorpusFiles();
    it('finds the corpus files that hold JSON lines', () => {
      assert.ok(files.length >= 50, `only ${files.length} corpus files found`);
    });
    for (const file of files) {
      it(`decodes every line of ${file.split('/corpus/real/')[1]}`, () => {
        for (const line of rawLines(file)) {
          const decoded = decodeLine(line);
          assert.equal(decoded.kind, 'event', `${file}: ${line.subarray(0, 80).toString()}`);
        }
      });
    }
  });
});
