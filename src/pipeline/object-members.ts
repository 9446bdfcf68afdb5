import { copyMembersOfLastScan, INVALID, MEMBER_FIELDS, NESTED_GROUP_HEADER, nestedGroupAt, scanJsonObject, type MemberTable, type NestedMembers } from './json-scanner.js';

/**
 * Where the members of one object value of a validated line lie, as a range of a member table:
 * the group the line's scan noted for it in the line's nested member table, read in place, or
 * else a scan of that object alone into a table of its own, reused from line to line (a line
 * scanned without nested members, an object the scan did not note).
 */
export class ObjectMembers {
  table: MemberTable = NO_MEMBERS;
  from = 0;
  to = 0;
  private readonly own: number[] = [];

  /** Points at the members of the object at `bytes[start, end)`; false if the bytes are not an object. */
  locate(bytes: Buffer, nested: NestedMembers | undefined, start: number, end: number): boolean {
    const group = nested === undefined ? -1 : nestedGroupAt(nested, start);
    if (group >= 0) {
      this.table = nested!;
      this.from = group + NESTED_GROUP_HEADER;
      this.to = this.from + nested![group + 1]! * MEMBER_FIELDS;
      return true;
    }
    const count = scanJsonObject(bytes, start, end);
    if (count === INVALID) return false;
    this.table = copyMembersOfLastScan(count, this.own);
    this.from = 0;
    this.to = this.table.length;
    return true;
  }
}

const NO_MEMBERS: MemberTable = Object.freeze([]);
