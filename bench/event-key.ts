const AUDIT_ID = Buffer.from('"auditID":"');
const STAGE = Buffer.from('"stage":"');
const QUOTE = 0x22;

/**
 * `auditID/stage` of an event line, read from the bytes without parsing: both fields come before
 * the request and response bodies in what kube-apiserver writes, so the first match is the event's.
 */
export function eventKey(line: Buffer): string | undefined {
  const auditId = stringField(line, AUDIT_ID);
  const stage = stringField(line, STAGE);
  return auditId === undefined || stage === undefined ? undefined : `${auditId}/${stage}`;
}

function stringField(line: Buffer, prefix: Buffer): string | undefined {
  const at = line.indexOf(prefix);
  if (at < 0) return undefined;
  const start = at + prefix.length;
  const end = line.indexOf(QUOTE, start);
  return end < 0 ? undefined : line.toString('latin1', start, end);
}
