import { existsSync, readFileSync } from 'node:fs';

/**
 * Reads back what the OpenTelemetry Collector's file exporter wrote (one OTLP JSON
 * ExportLogsServiceRequest per line) as the records the forward receiver got: each log record's
 * attributes rebuilt into the original map (the receiver adds `fluent.tag`), with its timestamp.
 */
export interface ReceivedRecord {
  tag: string;
  timeUnixNano: bigint;
  record: Record<string, unknown>;
}

interface OtlpKeyValue {
  key: string;
  value: OtlpAnyValue;
}

interface OtlpAnyValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: OtlpAnyValue[] };
  kvlistValue?: { values?: OtlpKeyValue[] };
  bytesValue?: string;
}

interface OtlpLogsLine {
  resourceLogs?: { scopeLogs?: { logRecords?: { timeUnixNano?: string; body?: OtlpAnyValue; attributes?: OtlpKeyValue[] }[] }[] }[];
}

export function readOtlpRecords(file: string): ReceivedRecord[] {
  if (!existsSync(file)) return [];
  const received: ReceivedRecord[] = [];
  const lines = readFileSync(file, 'utf8').split('\n');
  lines.pop(); // empty, or a line the exporter has not finished flushing: read on the next poll
  for (const line of lines) {
    const parsed = JSON.parse(line) as OtlpLogsLine;
    for (const resourceLogs of parsed.resourceLogs ?? []) {
      for (const scopeLogs of resourceLogs.scopeLogs ?? []) {
        for (const logRecord of scopeLogs.logRecords ?? []) {
          const record = Object.fromEntries((logRecord.attributes ?? []).map(({ key, value }) => [key, toJson(value)]));
          const tag = record['fluent.tag'] as string;
          delete record['fluent.tag'];
          if (logRecord.body && Object.keys(logRecord.body).length > 0) record.log = toJson(logRecord.body);
          received.push({ tag, timeUnixNano: BigInt(logRecord.timeUnixNano ?? '0'), record });
        }
      }
    }
  }
  return received;
}

/** OTLP AnyValue → the JSON value it came from (an empty AnyValue is how the receiver stores nil). */
function toJson(value: OtlpAnyValue): unknown {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(toJson);
  if (value.kvlistValue !== undefined) {
    return Object.fromEntries((value.kvlistValue.values ?? []).map(({ key, value: inner }) => [key, toJson(inner)]));
  }
  if (value.bytesValue !== undefined) return Buffer.from(value.bytesValue, 'base64').toString('utf8');
  return null;
}
