/**
 * The server broke the Forward protocol (an unexpected message, a wrong ack). The connection is
 * discarded; the batch is sent again, possibly to another server.
 */
export class ForwardProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ForwardProtocolError';
  }
}

/** A short, log-safe rendering of a decoded server message for error texts (bytes shown as a length). */
export function describeMessage(message: unknown): string {
  const text = JSON.stringify(message, (_key, value: unknown) =>
    value instanceof Uint8Array ? `<${value.length} bytes>` : value,
  );
  if (text === undefined) return String(message);
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}
