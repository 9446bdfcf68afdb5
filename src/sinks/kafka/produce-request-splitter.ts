/** Header of a v2 record batch: base offset, length, epoch, magic, CRC, attributes, ... record count. */
export const RECORD_BATCH_OVERHEAD_BYTES = 61;

/** The most message bytes one produce request may carry so its record batch stays within `maxMessageBytes`. */
export function recordBytesLimit(maxMessageBytes: number): number {
  return maxMessageBytes - RECORD_BATCH_OVERHEAD_BYTES;
}

/**
 * Cuts messages (or anything carrying one), in order, into groups whose summed size stays within `limitBytes`, so no produce
 * request makes a record batch larger than the broker's message.max.bytes. kafkajs writes one
 * record batch per partition; a group that fits as a whole fits in every partition's share.
 * Sizes are uncompressed: compression only makes the batch smaller. A message larger than the
 * limit on its own must have been dealt with before (oversize policy); it gets a group of its own.
 */
export function splitByBytes<T>(items: readonly T[], bytesOf: (item: T) => number, limitBytes: number): T[][] {
  const groups: T[][] = [];
  let current: T[] = [];
  let currentBytes = 0;
  for (const item of items) {
    const bytes = bytesOf(item);
    if (current.length > 0 && currentBytes + bytes > limitBytes) {
      groups.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(item);
    currentBytes += bytes;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}
