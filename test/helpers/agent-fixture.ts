import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AgentProcess, CLI_PATH } from './agent-process.js';

/** A temp workspace laid out as on a node: log dir, checkpoint dir, sink output. */
export class AgentWorkspace {
  readonly root = mkdtempSync(path.join(tmpdir(), 'kaf-it-'));
  readonly logDir = path.join(this.root, 'log');
  readonly checkpointDir = path.join(this.root, 'checkpoint');
  readonly outputPath = path.join(this.root, 'out.jsonl');

  constructor() {
    mkdirSync(this.logDir);
  }

  get livePath(): string {
    return path.join(this.logDir, 'audit.log');
  }

  /** The file sink writing to outputPath: the sink of every start unless told otherwise. */
  get fileSinkArgs(): string[] {
    return ['--sink', 'file', '--file-path', this.outputPath];
  }

  /** Arguments for the sink (the file sink unless told otherwise), with fast polling so tests converge quickly. */
  args(extra: string[] = [], sink: string[] = this.fileSinkArgs): string[] {
    return [
      'run',
      '--path',
      this.livePath,
      '--checkpoint-dir',
      this.checkpointDir,
      ...sink,
      '--poll-interval-ms',
      '100',
      '--checkpoint-interval-ms',
      '100',
      '--batch-linger-ms',
      '20',
      '--log-level',
      'debug',
      ...extra,
    ];
  }

  start(extra: string[] = [], env: Record<string, string> = {}): AgentProcess {
    return new AgentProcess(this.args(extra), env);
  }

  /**
   * Starts the agent as another user (root only), to meet files it may not read: the log
   * directory is readable by all, the checkpoint directory and the sink's output are that user's
   * (left so for the next start, as root or not).
   * It runs a copy of this Node binary: the one under the installing user's home (~/.cache) is
   * out of reach of another user when that home is private, as root's is.
   */
  startAs(uid: number, extra: string[] = [], sink: string[] = this.fileSinkArgs): AgentProcess {
    const node = path.join(this.root, 'node');
    if (!existsSync(node)) copyFileSync(process.execPath, node);
    chmodSync(node, 0o755);
    chmodSync(this.root, 0o777); // the sink may create files beside its output
    chmodSync(this.logDir, 0o755);
    mkdirSync(this.checkpointDir, { recursive: true });
    chownSync(this.checkpointDir, uid, uid);
    if (!existsSync(this.outputPath)) writeFileSync(this.outputPath, '');
    chownSync(this.outputPath, uid, uid);
    return new AgentProcess(this.args(extra, sink), {}, { uid, gid: uid, launcher: [node, CLI_PATH] });
  }

  /** Runs the agent until it has delivered everything on disk and exited by itself. */
  async catchUp(extra: string[] = []): Promise<AgentProcess> {
    const agent = this.start(['--exit-when-caught-up', ...extra]);
    const { code } = await agent.waitForExit(120_000);
    if (code !== 0) throw new Error(`agent exited ${code}:\n${agent.tail()}`);
    return agent;
  }
}
