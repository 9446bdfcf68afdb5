import assert from 'node:assert/strict';
import { mkdtemp, open, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { fingerprintGzipFile, fingerprintOf, fingerprintPlainFile, stillStartsWith } from '../../../src/source/fingerprint.js';

describe('fingerprint', () => {
  it('is undefined until the first line is complete', () => {
    assert.equal(fingerprintOf(Buffer.from('{"auditID":"a"')), undefined);
    assert.ok(fingerprintOf(Buffer.from('{"auditID":"a"}\n')));
  });

  it('is the same for a plain file and its gzipped backup, and differs for another first line', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'kaf-fp-'));
    const content = '{"auditID":"1"}\n{"auditID":"2"}\n';
    await writeFile(path.join(dir, 'a.log'), content);
    await writeFile(path.join(dir, 'a.log.gz'), gzipSync(content));
    await writeFile(path.join(dir, 'b.log'), '{"auditID":"3"}\n{"auditID":"2"}\n');
    const plain = await open(path.join(dir, 'a.log'));
    const other = await open(path.join(dir, 'b.log'));
    const fromPlain = await fingerprintPlainFile(plain);
    const gzip = await open(path.join(dir, 'a.log.gz'));
    const fromGzip = await fingerprintGzipFile(gzip);
    await gzip.close();
    assert.deepEqual(fromGzip.fingerprint, fromPlain);
    assert.notEqual((await fingerprintPlainFile(other))!.hash, fromPlain!.hash);
    assert.equal(await stillStartsWith(plain, fromPlain!), true);
    assert.equal(await stillStartsWith(other, fromPlain!), false);
    await plain.close();
    await other.close();
  });

  it('identifies a half-written gzip by the first line already in it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'kaf-fp-'));
    const full = gzipSync('{"auditID":"1"}\n' + 'x'.repeat(100_000) + '\n');
    await writeFile(path.join(dir, 'half.gz'), full.subarray(0, full.length - 20));
    await writeFile(path.join(dir, 'header.gz'), full.subarray(0, 5));
    const half = await open(path.join(dir, 'half.gz'));
    const header = await open(path.join(dir, 'header.gz'));
    assert.ok((await fingerprintGzipFile(half)).fingerprint);
    assert.deepEqual(await fingerprintGzipFile(header), { fingerprint: undefined, complete: false }, 'more may still be written');
    await half.close();
    await header.close();
  });

  it('tells a complete gzip without a complete first line (an empty backup gzipped) from one still being written', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'kaf-fp-'));
    await writeFile(path.join(dir, 'empty.gz'), gzipSync(''));
    await writeFile(path.join(dir, 'partial.gz'), gzipSync('{"auditID":"1"'));
    const whole = gzipSync('{"auditID":"1"}\n');
    await writeFile(path.join(dir, 'cut.gz'), whole.subarray(0, whole.length - 4));
    const startOf = async (name: string) => {
      const handle = await open(path.join(dir, name));
      const start = await fingerprintGzipFile(handle);
      await handle.close();
      return start;
    };
    assert.deepEqual(await startOf('empty.gz'), { fingerprint: undefined, complete: true });
    assert.deepEqual(await startOf('partial.gz'), { fingerprint: undefined, complete: true });
    const cut = await startOf('cut.gz');
    assert.equal(cut.complete, false, 'no trailer yet');
    assert.ok(cut.fingerprint, 'its first line is in it already');
  });
});
