import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { AuditEventFactory } from '../helpers/audit-event-factory.js';
import { AgentProcess, waitUntil } from '../helpers/agent-process.js';
import { readCheckpointView, type CheckpointView } from '../helpers/checkpoint-view.js';
import { keyOfLine } from '../helpers/sink-output.js';
import { SinkTimeline } from '../helpers/sink-timeline.js';
import { ModelLog, type Content } from './model-log.js';
import type { SequencePlan, Step } from './sequence-plan.js';

/** How long a wait on the agent may take before the run fails (the machine may be loaded). */
const DELIVERY_TIMEOUT_MS = 240_000;
/** `progress` only paces the sequence: it moves on after this long even if nothing arrived. */
const PROGRESS_PACE_MS = 2_000;

/** How one agent process ended, and what the model saw at that moment. */
export interface AgentEnd {
  readonly how: 'killed' | 'terminated' | 'caught-up';
  /** When it was stopped with SIGSTOP before the SIGKILL (killed only). */
  readonly frozenAtMs?: number;
  /** The checkpoint on disk once it could no longer write one. */
  readonly checkpoint: CheckpointView;
  /** Contents still in the directory when the next agent started (filled at that start). */
  contentsOnDiskAtNextStart?: Set<Content>;
}

/** One agent process of the sequence: from its start to its end. */
export interface Incarnation {
  readonly agent: AgentProcess;
  readonly startedAtMs: number;
  /** Output size when it started: the lines from here to the next incarnation's start are its deliveries. */
  readonly sinkStart: number;
  readonly frozen: Array<{ from: number; to: number }>;
  end?: AgentEnd;
}

export interface RunResult {
  readonly plan: SequencePlan;
  readonly log: ModelLog;
  readonly sink: SinkTimeline;
  readonly incarnations: Incarnation[];
  readonly workspace: string;
  readonly longestLine: number;
}

/**
 * Applies a plan to real files and a real agent process (file sink), keeping the model in step.
 * The agent is a black box: its CLI, its log directory, its output file, its logs.
 */
export class ModelRun {
  readonly workspace = mkdtempSync(path.join(tmpdir(), 'kaf-model-'));
  private readonly logDir = path.join(this.workspace, 'log');
  private readonly checkpointDir = path.join(this.workspace, 'checkpoint');
  private readonly outputPath = path.join(this.workspace, 'out.jsonl');
  private readonly log: ModelLog;
  private readonly sink = new SinkTimeline(this.outputPath);
  private readonly factory: AuditEventFactory;
  private readonly longFactory: AuditEventFactory;
  private readonly incarnations: Incarnation[] = [];
  private state: 'running' | 'frozen' | 'down' = 'down';
  private partialRest?: Buffer;
  private longestLine = 0;

  constructor(private readonly plan: SequencePlan) {
    mkdirSync(this.logDir);
    this.log = new ModelLog(this.logDir, plan.log);
    this.factory = new AuditEventFactory({ seed: plan.seed * 2 + 1, requestResponseFraction: 0.02 });
    this.longFactory = new AuditEventFactory({ seed: plan.seed * 2 + 2, requestResponseFraction: 1, largeListFraction: 1 });
  }

  private get current(): Incarnation {
    return this.incarnations[this.incarnations.length - 1]!;
  }

  async run(): Promise<RunResult> {
    this.sink.start();
    try {
      this.startAgent();
      for (const step of this.plan.steps) await this.apply(step);
      await this.finish();
    } finally {
      this.sink.stop();
      this.incarnations.forEach((incarnation, index) => {
        if (!incarnation.end) incarnation.agent.kill('SIGKILL');
        writeFileSync(path.join(this.workspace, `agent-${index}.log`), incarnation.agent.stderrText);
      });
    }
    return {
      plan: this.plan,
      log: this.log,
      sink: this.sink,
      incarnations: this.incarnations,
      workspace: this.workspace,
      longestLine: this.longestLine,
    };
  }

  private async apply(step: Step): Promise<void> {
    switch (step.kind) {
      case 'append':
        this.completePartialLine();
        for (const line of this.factory.lines(step.lines)) this.appendLine(Buffer.from(`${line}\n`));
        break;
      case 'appendLong':
        this.completePartialLine();
        this.appendLine(this.longLine());
        break;
      case 'appendPartial': {
        this.completePartialLine();
        const line = Buffer.from(`${this.factory.nextLine()}\n`);
        const cut = Math.min(line.length - 1, Math.max(1, Math.floor(step.fraction * line.length)));
        this.partialRest = this.log.beginLine(keyOf(line), line, cut);
        this.longestLine = Math.max(this.longestLine, line.length);
        break;
      }
      case 'rotate':
        this.completePartialLine();
        this.log.rotate();
        break;
      case 'flushMill':
        await this.log.flushMill();
        break;
      case 'progress':
        if (this.state === 'running') await this.awaitProgress();
        break;
      case 'settle':
        if (this.state === 'running') await this.awaitDelivery('everything written so far');
        break;
      case 'kill':
        await this.kill();
        break;
      case 'terminate':
        await this.terminate();
        break;
      case 'start':
        this.startAgent();
        break;
      case 'freeze':
        await this.freeze();
        break;
      case 'thaw':
        this.thaw();
        break;
    }
    // Let the mill (gzip, deletions) and the sink sampler run between steps.
    await yieldToEventLoop();
  }

  /** Ends the sequence: everything still on disk must arrive; a last agent catches up on what is left and exits. */
  private async finish(): Promise<void> {
    if (this.state === 'frozen') this.thaw();
    if (this.state === 'down') this.startAgent();
    this.completePartialLine();
    await this.log.close();
    await this.awaitDelivery('every record still on disk, at the end');
    await this.terminate();
    this.startAgent(['--exit-when-caught-up']);
    const { code } = await this.current.agent.waitForExit(DELIVERY_TIMEOUT_MS);
    if (code !== 0) throw new Error(`catch-up agent exited ${code}:\n${this.current.agent.tail()}`);
    this.current.end = { how: 'caught-up', checkpoint: readCheckpointView(this.checkpointDir) };
    this.log.markSurvivors();
  }

  private appendLine(line: Buffer): void {
    this.log.appendLine(keyOf(line), line);
    this.longestLine = Math.max(this.longestLine, line.length);
  }

  private completePartialLine(): void {
    if (!this.partialRest) return;
    this.log.completeLine(this.partialRest);
    this.partialRest = undefined;
  }

  /** A line of tens or hundreds of KiB (a large list response), some above --max-line-bytes. */
  private longLine(): Buffer {
    for (;;) {
      const line = this.longFactory.nextLine();
      if (line.length >= 30_000 && line.length < this.plan.log.maxSizeBytes) return Buffer.from(`${line}\n`);
    }
  }

  private agentArgs(extra: string[]): string[] {
    const { agent } = this.plan;
    return [
      'run',
      '--path',
      this.log.livePath,
      '--checkpoint-dir',
      this.checkpointDir,
      '--sink',
      'file',
      '--file-path',
      this.outputPath,
      '--poll-interval-ms',
      '100',
      '--batch-linger-ms',
      '20',
      '--checkpoint-interval-ms',
      String(agent.checkpointIntervalMs),
      '--max-inflight-bytes',
      String(agent.maxInflightBytes),
      '--batch-max-bytes',
      String(agent.batchMaxBytes),
      '--batch-max-events',
      String(agent.batchMaxEvents),
      '--max-line-bytes',
      String(agent.maxLineBytes),
      ...extra,
    ];
  }

  private startAgent(extra: string[] = []): void {
    const previous = this.incarnations[this.incarnations.length - 1];
    if (previous?.end) previous.end.contentsOnDiskAtNextStart = new Set(this.log.contents.filter((content) => this.log.isOnDiskNow(content)));
    this.incarnations.push({
      agent: new AgentProcess(this.agentArgs(extra)),
      startedAtMs: Date.now(),
      sinkStart: this.sink.completeLinesEnd(),
      frozen: [],
    });
    this.state = 'running';
  }

  /** A SIGKILL at a known instant: SIGSTOP first, so the output and the checkpoint can be read as the next agent will find them. */
  private async kill(): Promise<void> {
    if (this.state === 'running') await this.freeze();
    const incarnation = this.current;
    const frozenAtMs = incarnation.frozen[incarnation.frozen.length - 1]!.from;
    this.sink.sample();
    const checkpoint = readCheckpointView(this.checkpointDir);
    incarnation.agent.kill('SIGKILL');
    await incarnation.agent.waitForExit();
    incarnation.frozen[incarnation.frozen.length - 1]!.to = Date.now();
    incarnation.end = { how: 'killed', frozenAtMs, checkpoint };
    this.state = 'down';
  }

  private async terminate(): Promise<void> {
    if (this.state === 'frozen') this.thaw();
    const incarnation = this.current;
    // Before its signal handlers are installed the process dies of SIGTERM like of SIGKILL: stop a started agent.
    await incarnation.agent.waitForLog((entry) => entry.message === 'agent started', DELIVERY_TIMEOUT_MS);
    incarnation.agent.kill('SIGTERM');
    const { code } = await incarnation.agent.waitForExit(DELIVERY_TIMEOUT_MS);
    if (code !== 0) throw new Error(`agent exited ${code} on SIGTERM:\n${incarnation.agent.tail()}`);
    incarnation.end = { how: 'terminated', checkpoint: readCheckpointView(this.checkpointDir) };
    this.state = 'down';
  }

  private async freeze(): Promise<void> {
    const incarnation = this.current;
    incarnation.frozen.push({ from: await incarnation.agent.freeze(), to: Number.POSITIVE_INFINITY });
    this.state = 'frozen';
  }

  private thaw(): void {
    const incarnation = this.current;
    incarnation.agent.kill('SIGCONT');
    incarnation.frozen[incarnation.frozen.length - 1]!.to = Date.now();
    this.state = 'running';
  }

  private async awaitProgress(): Promise<void> {
    const before = this.sink.sample();
    const deadline = Date.now() + PROGRESS_PACE_MS;
    await waitUntil(() => this.sink.sample() > before || this.allOnDiskDelivered() || Date.now() > deadline, DELIVERY_TIMEOUT_MS, 'progress');
  }

  /** Waits until every record of every content still in the directory has arrived. */
  private async awaitDelivery(what: string): Promise<void> {
    const agent = this.current.agent;
    await waitUntil(() => this.allOnDiskDelivered(), DELIVERY_TIMEOUT_MS, `${what} to arrive; agent logs:\n${agent.tail(10)}`, 100);
  }

  private allOnDiskDelivered(): boolean {
    const delivered = this.sink.deliveredKeys();
    return this.log.records.every((record) => delivered.has(record.key) || !this.log.isOnDiskNow(record.content));
  }
}

function keyOf(line: Buffer): string {
  const key = keyOfLine(line);
  if (key === undefined) throw new Error('generated line without auditID');
  return key;
}
