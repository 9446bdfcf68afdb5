import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dockerStages, type DockerInstruction } from '../../unit/deploy/dockerfile-model.js';
import { REPO_ROOT } from '../../unit/deploy/repo-root.js';

/** The runtime stage's file system and start command, assembled without a Docker engine. */
export interface AssembledImage {
  /** Host directory standing for the image's `/`. */
  root: string;
  entrypoint: string[];
  cmd: string[];
  /** ENV of the runtime stage. */
  env: Record<string, string>;
  /** Wall time of every RUN step, for the report. */
  runTimesMs: Record<string, number>;
  /** A container path (`/app/dist/src/cli.js`) as a host path. */
  hostPath(containerPath: string): string;
  remove(): Promise<void>;
}

/**
 * Plays the Dockerfile's stages in order in a temporary directory: each stage gets its own root,
 * WORKDIR, ENV, COPY (from the build context, whose files the .dockerignore allow-list names, or
 * `--from` an earlier stage) and RUN steps, run as written with the host's Node and npm. What the
 * runtime stage holds afterwards is what the image would hold, minus the distroless base.
 */
export async function assembleImage(): Promise<AssembledImage> {
  const workspace = await mkdtemp(path.join(tmpdir(), 'kaf-image-'));
  const roots = new Map<string, string>();
  const runTimesMs: Record<string, number> = {};
  let last: { root: string; entrypoint: string[]; cmd: string[]; env: Record<string, string> } | undefined;
  try {
    const stages = dockerStages();
    for (const [index, stage] of stages.entries()) {
      const root = path.join(workspace, `${index}-${stage.name ?? 'runtime'}`);
      await mkdir(root, { recursive: true });
      const state = { root, workdir: '/', env: {} as Record<string, string>, entrypoint: [] as string[], cmd: [] as string[] };
      for (const instruction of stage.instructions) {
        await play(instruction, state, roots, runTimesMs, stage.name ?? 'runtime');
      }
      if (stage.name) roots.set(stage.name, root);
      last = state;
    }
  } catch (error) {
    await rm(workspace, { recursive: true, force: true });
    throw error;
  }
  const runtime = last!;
  return {
    root: runtime.root,
    entrypoint: runtime.entrypoint,
    cmd: runtime.cmd,
    env: runtime.env,
    runTimesMs,
    hostPath: (containerPath) => path.join(runtime.root, containerPath),
    remove: () => rm(workspace, { recursive: true, force: true }),
  };
}

interface StageState {
  root: string;
  workdir: string;
  env: Record<string, string>;
  entrypoint: string[];
  cmd: string[];
}

async function play(
  instruction: DockerInstruction,
  state: StageState,
  roots: Map<string, string>,
  runTimesMs: Record<string, number>,
  stageName: string,
): Promise<void> {
  const inStage = (containerPath: string): string => path.join(state.root, path.posix.resolve(state.workdir, containerPath));
  switch (instruction.keyword) {
    case 'WORKDIR':
      state.workdir = path.posix.resolve(state.workdir, instruction.args[0]!);
      await mkdir(inStage('.'), { recursive: true });
      return;
    case 'ENV':
      Object.assign(state.env, instruction.properties);
      return;
    case 'ARG':
    case 'LABEL':
      return;
    case 'COPY': {
      const sources = instruction.args.slice(0, -1);
      const destination = instruction.args[instruction.args.length - 1]!;
      const from = instruction.flags.from;
      const sourceRoot = from === undefined ? REPO_ROOT : roots.get(from);
      if (!sourceRoot) throw new Error(`COPY --from=${from}: no such stage`);
      for (const source of sources) {
        const sourcePath = path.join(sourceRoot, source);
        const isDirectory = (await stat(sourcePath)).isDirectory();
        // Docker copies a directory's contents to the destination, and a file into a
        // destination that ends with a slash.
        const target = !isDirectory && destination.endsWith('/') ? path.join(inStage(destination), path.basename(source)) : inStage(destination);
        await mkdir(isDirectory ? target : path.dirname(target), { recursive: true });
        await cp(sourcePath, target, { recursive: true });
      }
      return;
    }
    case 'RUN': {
      const started = Date.now();
      await runShell(instruction.text, inStage('.'), state.env);
      runTimesMs[`${stageName}: ${instruction.text}`] = Date.now() - started;
      return;
    }
    case 'ENTRYPOINT':
      state.entrypoint = instruction.execForm ?? [];
      return;
    case 'CMD':
      state.cmd = instruction.execForm ?? [];
      return;
    default:
      throw new Error(`the image assembly does not know ${instruction.keyword}; teach it before using it in the Dockerfile`);
  }
}

function runShell(command: string, cwd: string, env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    // npm takes packages from its cache when it has them, as a builder's cache mount would.
    const runEnv = { ...process.env, npm_config_prefer_offline: 'true', ...env };
    const child = spawn('sh', ['-c', command], { cwd, env: runEnv, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-8192);
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`RUN ${command} exited ${code}:\n${stderr}`))));
  });
}
