import assert from 'node:assert/strict';
import { decodeLine } from '../../../src/pipeline/decoder.js';
import { MEMBER_FIELDS } from '../../../src/pipeline/json-scanner.js';
import { childMemberId, childrenLocated, topLevelMemberId, topLevelMembersOf } from '../../../src/rules/top-level-members.js';

/**
 * The value text of each named member, as topLevelMembersOf finds them (undefined when absent),
 * the same whether the scan located the keys or they are found by decoding.
 */
function resolved(line: string, names: readonly string[]): (string | undefined)[] {
  const ids = names.map(topLevelMemberId);
  const bytes = Buffer.from(line);
  const decoded = decodeLine(bytes, 'members and nested');
  assert.ok(decoded.kind === 'event' && decoded.members !== undefined);
  const members = decoded.members;
  const fromScan = topLevelMembersOf({ bytes, members, keys: decoded.keys }, []);
  const byDecoding = topLevelMembersOf({ bytes, members }, []);
  assert.deepEqual(ids.map((id) => fromScan[id]), ids.map((id) => byDecoding[id]));
  const into = fromScan;
  return ids.map((id) => {
    const at = into[id]!;
    if (at < 0) return undefined;
    assert.equal(at % MEMBER_FIELDS, 0);
    return bytes.toString('utf8', members[at + 2], members[at + 3]);
  });
}

describe('top-level members found in one pass', () => {
  it('finds each registered name where JSON.parse would read it, and -1 for names the line lacks', () => {
    assert.deepEqual(resolved('{"kind":"Event","verb":"get","user":{"username":"u"}}', ['verb', 'user', 'impersonatedUser']), ['"get"', '{"username":"u"}', undefined]);
  });

  it('resolves a repeated key to its last occurrence, whose value JSON.parse keeps', () => {
    assert.deepEqual(resolved('{"verb":"get","stage":"ResponseComplete","verb":"delete"}', ['verb', 'stage']), ['"delete"', '"ResponseComplete"']);
  });

  it('matches keys spelled with escapes or non-ASCII characters by what they decode to', () => {
    const line = '{"v\\u0065rb":"get","gr\u00fc\u00dfe":1,"a\\/b":true,"ver":"x","verbs":"y"}';
    assert.deepEqual(resolved(line, ['verb', 'gr\u00fc\u00dfe', 'a/b', 've']), ['"get"', '1', 'true', undefined]);
    assert.deepEqual(resolved('{"":1,"x":2}', ['', 'x']), ['1', '2']);
  });

  it('locates the keys as the line is scanned when every top-level key is plain ASCII, and leaves a line with an escaped or empty key to decoding', () => {
    topLevelMemberId('verb');
    const located = (line: string): boolean => {
      const decoded = decodeLine(Buffer.from(line), 'members and nested');
      return decoded.kind === 'event' && decoded.keys !== undefined;
    };
    assert.equal(located('{"kind":"Event","verb":"get"}'), true);
    assert.equal(located('{"kind":"Event","v\\u0065rb":"get"}'), false);
    assert.equal(located('{"gr\u00fc\u00dfe":1}'), false);
    assert.equal(located('{"":1}'), false);
  });

  it('locates a member of a top-level object (user.username) in the nested table, the last of repeated ones, and -1 where the object lacks it', () => {
    const username = childMemberId('user', 'username');
    const uid = childMemberId('user', 'uid');
    const verbUnderObjectRef = childMemberId('objectRef', 'verb');
    const bytes = Buffer.from('{"verb":"get","user":{"username":"a","groups":["g"],"username":"b"},"objectRef":{"resource":"pods"}}');
    const decoded = decodeLine(bytes, 'members and nested');
    assert.ok(decoded.kind === 'event' && decoded.nested !== undefined);
    const line = { bytes, members: decoded.members!, nested: decoded.nested, keys: decoded.keys };
    const located = topLevelMembersOf(line, []);
    assert.equal(childrenLocated(line, located), true);
    const child = located[username]!;
    assert.equal(bytes.toString('utf8', decoded.nested[child + 2], decoded.nested[child + 3]), '"b"');
    assert.equal(located[uid], -1);
    assert.equal(located[verbUnderObjectRef], -1);
  });

  it('leaves a line with a repeated top-level key it locates to decoding, so that no member of the first object stays located', () => {
    childMemberId('user', 'username');
    const bytes = Buffer.from('{"user":{"username":"a"},"user":{"uid":"1"}}');
    const decoded = decodeLine(bytes, 'members and nested');
    assert.ok(decoded.kind === 'event');
    assert.equal(decoded.keys, undefined);
    const line = { bytes, members: decoded.members!, nested: decoded.nested };
    const found = topLevelMembersOf(line, []);
    assert.equal(childrenLocated(line, found), false);
    assert.equal(bytes.toString('utf8', decoded.members![found[topLevelMemberId('user')]! + 2], decoded.members![found[topLevelMemberId('user')]! + 3]), '{"uid":"1"}');
  });

  it('still locates the registered keys after a line that made the scan take a fresh memory (over 64 MiB)', () => {
    const username = childMemberId('user', 'username');
    const huge = Buffer.from(`{"user":{"username":"${'x'.repeat(70 * 1024 * 1024)}"}}`);
    assert.notEqual(decodeLine(huge, 'members and nested').kind, 'invalid');
    const bytes = Buffer.from('{"verb":"get","user":{"username":"after"}}');
    const decoded = decodeLine(bytes, 'members and nested');
    assert.ok(decoded.kind === 'event' && decoded.keys !== undefined && decoded.nested !== undefined);
    const child = decoded.keys[username]!;
    assert.equal(bytes.toString('utf8', decoded.nested[child + 2], decoded.nested[child + 3]), '"after"');
  });

  it('tells apart names that share a hash slot or a length, however many are registered', () => {
    const names = Array.from({ length: 200 }, (_, index) => `field${index}`);
    const line = `{${names.map((name, index) => `"${name}":${index}`).join(',')}}`;
    assert.deepEqual(resolved(line, names), names.map((_, index) => String(index)));
  });
});
