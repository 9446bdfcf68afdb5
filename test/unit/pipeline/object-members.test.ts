import assert from 'node:assert/strict';
import { MEMBER_FIELDS, membersOfLastScan, nestedOfLastScan, scanJsonObject } from '../../../src/pipeline/json-scanner.js';
import { ObjectMembers } from '../../../src/pipeline/object-members.js';

/** The keys and values `object` points at, as text. */
function membersAsText(bytes: Buffer, object: ObjectMembers): string[] {
  const texts: string[] = [];
  for (let at = object.from; at < object.to; at += MEMBER_FIELDS) {
    texts.push(`${bytes.toString('utf8', object.table[at]!, object.table[at + 1]!)}=${bytes.toString('utf8', object.table[at + 2]!, object.table[at + 3]!)}`);
  }
  return texts;
}

describe('ObjectMembers', () => {
  const line = Buffer.from('{"verb":"get","objectRef":{"resource":"pods","namespace":"kube-system"},"user":{"username":"alice","groups":["a"]}}');
  const count = scanJsonObject(line, 0, line.length, true);
  const members = membersOfLastScan(count);
  const nested = nestedOfLastScan();
  const valueOf = (index: number): [number, number] => [members[index * MEMBER_FIELDS + 2]!, members[index * MEMBER_FIELDS + 3]!];

  it("points at the group the line's scan noted, read in place in the nested member table", () => {
    const object = new ObjectMembers();
    assert.equal(object.locate(line, nested, ...valueOf(1)), true);
    assert.equal(object.table, nested);
    assert.deepEqual(membersAsText(line, object), ['resource="pods"', 'namespace="kube-system"']);
  });

  it('scans the object itself into its own table when the line has no nested members, with the same members', () => {
    const object = new ObjectMembers();
    assert.equal(object.locate(line, undefined, ...valueOf(2)), true);
    assert.notEqual(object.table, nested);
    assert.deepEqual(membersAsText(line, object), ['username="alice"', 'groups=["a"]']);
  });

  it('says false for a value that is not an object', () => {
    assert.equal(new ObjectMembers().locate(line, nested, ...valueOf(0)), false);
    assert.equal(new ObjectMembers().locate(line, undefined, ...valueOf(0)), false);
  });
});
