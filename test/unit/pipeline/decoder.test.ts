import assert from 'node:assert/strict';
import { decodeLine } from '../../../src/pipeline/decoder.js';
import { jsonLinesCorpusFiles, rawLines } from '../../helpers/corpus.js';

describe('decodeLine', () => {
  it('accepts an event object, noting where each top-level member lies, unknown fields included', () => {
    const text = '{"kind":"Event","auditID":"x","futureField":{"a":[1]}}';
    const decoded = decodeLine(Buffer.from(text));
    assert.equal(decoded.kind, 'event');
    const members = decoded.kind === 'event' ? [...(decoded.members ?? [])] : [];
    assert.equal(members.length, 3 * 4);
    assert.equal(text.slice(members[8], members[9]), 'futureField');
    assert.equal(text.slice(members[10], members[11]), '{"a":[1]}');
  });

  it('words the reason for an invalid line as JSON.parse does', () => {
    const decoded = decodeLine(Buffer.from('{"auditID":"x",}'));
    assert.equal(decoded.kind, 'invalid');
    assert.match(decoded.kind === 'invalid' ? decoded.reason : '', /^not valid JSON: /);
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
