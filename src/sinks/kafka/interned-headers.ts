import type { MessageHeader } from './kafka-message.js';

/** Key-length and value-length varints of one header, at their largest. */
const HEADER_FRAMING_BYTES = 10;
/**
 * Distinct values kept per header name. Stages, verbs, levels and resources have tens of values;
 * namespaces can have thousands in a large cluster: past this, a value's header is built per message.
 */
const MAX_VALUES_PER_NAME = 4096;

/** One header ready for produce(), with its largest size in a record. */
export interface InternedHeader {
  readonly header: MessageHeader;
  readonly bytes: number;
}

/**
 * The header objects of one header name, built once per value and reused for every message that
 * carries it. The binding reads each header object's keys and converts string values to bytes on
 * every produce call: a value that is already a Buffer skips one conversion, and a reused object
 * is no garbage.
 */
export class InternedHeaders {
  private readonly byValue = new Map<string, InternedHeader>();

  constructor(private readonly name: string) {}

  of(value: string): InternedHeader {
    const known = this.byValue.get(value);
    if (known !== undefined) return known;
    const bytes = Buffer.from(value);
    const built: InternedHeader = { header: { [this.name]: bytes }, bytes: HEADER_FRAMING_BYTES + this.name.length + bytes.length };
    if (this.byValue.size < MAX_VALUES_PER_NAME) this.byValue.set(value, built);
    return built;
  }
}
