import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import yaml from 'js-yaml';
import { buildK8sCheck, type K8sObject } from './k8s-check.js';
import { REPO_ROOT } from './repo-root.js';

const run = promisify(execFile);
const MAX_OUTPUT = 64 * 1024 * 1024;
export const CHART = path.join(REPO_ROOT, 'charts/kube-audit-forwarder');

const tools = new Map<string, Promise<string>>();
/** A Go tool built by scripts/go-tool.sh (`make services` builds it; cached under ~/.cache). */
export function goTool(tool: 'helm' | 'promtool'): Promise<string> {
  let built = tools.get(tool);
  if (!built) {
    built = run('bash', [path.join(REPO_ROOT, 'scripts/go-tool.sh'), tool], { maxBuffer: MAX_OUTPUT }).then(({ stdout }) => stdout.trim());
    tools.set(tool, built);
  }
  return built;
}

/** Runs helm with a values file holding `values`; resolves with stdout, rejects with helm's message. */
export async function helm(args: string[], values: unknown = {}): Promise<string> {
  const binary = await goTool('helm');
  await mkdir(path.join(REPO_ROOT, '.cache'), { recursive: true });
  const dir = await mkdtemp(path.join(REPO_ROOT, '.cache', 'helm-'));
  try {
    const valuesFile = path.join(dir, 'values.yaml');
    await writeFile(valuesFile, yaml.dump(values));
    const { stdout } = await run(binary, [...args, '-f', valuesFile], {
      maxBuffer: MAX_OUTPUT,
      // Helm keeps its own state under these; none of it is needed offline.
      env: { ...process.env, HELM_CACHE_HOME: dir, HELM_CONFIG_HOME: dir, HELM_DATA_HOME: dir },
    });
    return stdout;
  } catch (error) {
    // helm lint reports its findings on stdout and only a summary on stderr.
    const failure = error as Error & { stdout?: string; stderr?: string };
    throw new Error([failure.stderr, failure.stdout].filter(Boolean).join('\n').trim() || failure.message);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export const RELEASE = 'kaf';
export const NAMESPACE = 'kube-audit-forwarder';

/** `helm template` of the chart, every object decoded strictly into its Kubernetes (or Prometheus Operator) type. */
export async function renderChart(values: unknown, extraArgs: string[] = ['--skip-tests']): Promise<K8sObject[]> {
  const manifest = await helm(['template', RELEASE, CHART, '--namespace', NAMESPACE, ...extraArgs], values);
  const checker = await buildK8sCheck();
  const child = run(checker, ['decode', '-'], { maxBuffer: MAX_OUTPUT });
  child.child.stdin!.end(manifest);
  const { stdout } = await child;
  return JSON.parse(stdout) as K8sObject[];
}
