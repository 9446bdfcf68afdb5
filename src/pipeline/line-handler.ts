import { isUtf8 } from 'node:buffer';
import type { Logger } from 'winston';
import type { InvalidLinePolicy, OversizePolicy } from '../config.js';
import { startAtZero, type AgentMetrics, type DeadLetterReason } from '../observability/metrics.js';
import type { Line } from '../source/line-splitter.js';
import type { AuditRecord } from './audit-record.js';
import type { Batcher } from './batcher.js';
import type { DeadLetterFile } from './dead-letter.js';
import { decodeLine, parseLine, withoutBom, type ReusedTables } from './decoder.js';
import { LineRecord } from './line-record.js';
import type { Processor } from './processor.js';
import { truncateLargeObjects } from '../audit/truncate-large-objects.js';

export interface LineHandlerOptions<F> {
  maxLineBytes: number;
  oversizePolicy: OversizePolicy;
  invalidLinePolicy: InvalidLinePolicy;
  processors: Processor[];
  /**
   * Let each parsed event go once the processors ran: the sink ships `value` only. Saves the
   * memory (and collector time) of holding parsed events until their batch is acknowledged.
   */
  releaseParsedEvents: boolean;
  batcher: Batcher<F>;
  deadLetter: DeadLetterFile;
  /** Counts bytes read so reading can be paused on the in-flight budget. */
  countRead(bytes: number): void;
  metrics: AgentMetrics;
  logger: Logger;
}

/** Invalid lines logged one by one per file before only counting them. */
const INVALID_LINES_LOGGED_PER_FILE = 20;

/**
 * Decides what happens to each line: ship it, shrink it, dead-letter it or skip it, and in every
 * case moves the file's position so the line is committed in order. This is where the
 * correctness contract's rules for invalid, oversize and non-UTF-8 lines live.
 */
export class LineHandler<F extends { key: string }> {
  private readonly invalidLogged = new Map<string, number>();
  private readonly oversizeLogged = new Set<string>();

  /** Processors that read every event get it parsed whole; otherwise lines are only scanned. */
  private readonly parseEagerly: boolean;
  private readonly keep: 'members' | 'members and nested' | 'nothing' | ReusedTables;

  constructor(private readonly options: LineHandlerOptions<F>) {
    this.parseEagerly = options.processors.some((processor) => processor.readsEveryEvent);
    // Processors read fields below the top level (objectRef.resource, user.username) too.
    // When the record lets go of its tables right after the processors (a sink that ships bytes
    // only), they need not be its own: each line's go into the same arrays.
    this.keep =
      options.processors.length === 0 ? (options.releaseParsedEvents ? 'nothing' : 'members')
      : options.releaseParsedEvents ? { members: [], nested: [], keys: [] }
      : 'members and nested';
    startAtZero(options.metrics.droppedEvents, options.processors.map((processor) => ({ processor: processor.name })));
  }

  handle(file: F, path: string, line: Line): void {
    const { metrics, batcher } = this.options;
    const lineBytes = line.end - line.start;
    this.options.countRead(lineBytes);
    metrics.linesRead.add(1);
    metrics.bytesRead.add(lineBytes);
    const origin = { path, offset: line.start };

    if (line.clipped) {
      this.deadLetter(file, path, line, `line of ${lineBytes} bytes exceeds the hard cap; first bytes kept`, 'clipped');
      metrics.oversizeLines.inc({ outcome: 'dead-letter' });
      return;
    }
    // A file that starts with a byte-order mark (written by a Windows tool, an AKS export) must
    // not pass it on: JSON consumers reject it. The offsets still count its bytes.
    const bytes = withoutBom(line.bytes);
    // A sink that ships bytes only, with no processor, will never read the event: keep no member
    // table for it. Processors read events lazily through it (and rule fields out by it).
    const decoded = this.parseEagerly ? parseLine(bytes) : decodeLine(bytes, this.keep);
    if (decoded.kind === 'empty') {
      metrics.emptyLines.inc();
      batcher.advance(file, line.end, lineBytes);
      return;
    }
    if (decoded.kind === 'invalid') {
      this.handleInvalid(file, path, line, decoded.reason);
      return;
    }
    if (!isUtf8(bytes)) metrics.invalidUtf8Lines.inc();
    let record: AuditRecord =
      'event' in decoded ? LineRecord.parsed(bytes, decoded.event, origin) : LineRecord.scanned(bytes, decoded.members, origin, decoded.nested, typeof this.keep === 'object', decoded.keys);
    if (line.oversize) {
      const shrunk = this.handleOversize(file, path, line, record);
      if (!shrunk) return;
      record = shrunk;
    }
    for (const processor of this.options.processors) {
      if (processor.process(record) === 'drop') {
        metrics.droppedEvents.inc({ processor: processor.name });
        batcher.advance(file, line.end, lineBytes);
        return;
      }
    }
    if (this.options.releaseParsedEvents) record.releaseEvent?.();
    batcher.add(record, file, line.end, lineBytes);
  }

  private handleInvalid(file: F, path: string, line: Line, reason: string): void {
    const { metrics, logger } = this.options;
    metrics.invalidLines.inc();
    const logged = this.invalidLogged.get(file.key) ?? 0;
    if (logged < INVALID_LINES_LOGGED_PER_FILE) {
      this.invalidLogged.set(file.key, logged + 1);
      logger.warn('invalid audit log line', {
        file: path,
        offset: line.start,
        bytes: line.bytes.length,
        reason,
        policy: this.options.invalidLinePolicy,
        ...(logged + 1 === INVALID_LINES_LOGGED_PER_FILE ? { note: 'further invalid lines in this file are only counted' } : {}),
      });
    }
    if (this.options.invalidLinePolicy === 'dead-letter') {
      this.deadLetter(file, path, line, reason, 'invalid');
      return;
    }
    const text = line.bytes.toString(isUtf8(line.bytes) ? 'utf8' : 'latin1');
    const event = { kafInvalidLine: text, kafOrigin: { file: path, offset: line.start }, kafReason: reason };
    this.options.batcher.add(
      { value: Buffer.from(JSON.stringify(event)), event, origin: { path, offset: line.start } },
      file,
      line.end,
      line.end - line.start,
    );
  }

  /** Returns the record to ship, or undefined when the line went to the dead-letter file. */
  private handleOversize(file: F, path: string, line: Line, record: AuditRecord): AuditRecord | undefined {
    const { metrics, maxLineBytes } = this.options;
    if (!this.oversizeLogged.has(file.key)) {
      this.oversizeLogged.add(file.key);
      this.options.logger.warn('line longer than --max-line-bytes; applying the oversize policy (logged once per file)', {
        file: path,
        offset: line.start,
        bytes: line.bytes.length,
        maxLineBytes,
        policy: this.options.oversizePolicy,
      });
    }
    if (this.options.oversizePolicy === 'truncate') {
      const shrunk = truncateLargeObjects(record, maxLineBytes);
      if (shrunk.value.length <= maxLineBytes) {
        metrics.oversizeLines.inc({ outcome: 'truncated' });
        return shrunk;
      }
    }
    metrics.oversizeLines.inc({ outcome: 'dead-letter' });
    this.deadLetter(file, path, line, `line of ${line.bytes.length} bytes exceeds --max-line-bytes ${maxLineBytes}`, 'oversize');
    return undefined;
  }

  private deadLetter(file: F, path: string, line: Line, reason: string, kind: DeadLetterReason): void {
    this.options.deadLetter.write({ file: path, offset: line.start, reason, line: line.bytes, originalBytes: line.end - line.start });
    this.options.metrics.deadLetterLines.inc({ reason: kind });
    this.options.batcher.advance(file, line.end, line.end - line.start);
  }
}
