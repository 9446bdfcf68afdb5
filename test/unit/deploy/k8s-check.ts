import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './repo-root.js';

const run = promisify(execFile);

const SOURCE_DIR = path.join(REPO_ROOT, 'test/unit/deploy/k8s-check');
const BINARY = path.join(REPO_ROOT, '.cache/bin/k8s-check');
/** Rendered overlays are a few hundred KiB at most; the default 1 MiB buffer is close. */
const MAX_OUTPUT = 64 * 1024 * 1024;

/** A rendered Kubernetes object, as plain JSON. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export interface AuditRequestCase {
  user: string;
  groups?: string[];
  verb: string;
  apiGroup?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  /** Set for non-resource requests such as `/healthz`. */
  path?: string;
}

export interface AuditDecision {
  level: 'None' | 'Metadata' | 'Request' | 'RequestResponse';
  omitStages: string[];
}

let built: Promise<string> | undefined;

/**
 * Builds the Go helper (kustomize and kube-apiserver's audit policy code, from the Go module
 * proxy into the Go caches) once per test process. Cold: about a minute; warm: a second.
 */
export function buildK8sCheck(): Promise<string> {
  built ??= run('go', ['build', '-buildvcs=false', '-o', BINARY, '.'], { cwd: SOURCE_DIR, maxBuffer: MAX_OUTPUT }).then(
    () => BINARY,
    (error: Error & { stderr?: string }) => {
      built = undefined;
      throw new Error(`building ${SOURCE_DIR} failed: ${error.stderr ?? error.message}`);
    },
  );
  return built;
}

/** `kustomize build` of a directory, every object strictly decoded into its Kubernetes type. */
export async function renderKustomization(dir: string): Promise<K8sObject[]> {
  const binary = await buildK8sCheck();
  const { stdout } = await run(binary, ['render', dir], { maxBuffer: MAX_OUTPUT });
  return JSON.parse(stdout) as K8sObject[];
}

/** Loads the policy as kube-apiserver does (strictly) and evaluates it for each request. */
export async function evaluateAuditPolicy(policyFile: string, cases: AuditRequestCase[]): Promise<AuditDecision[]> {
  const binary = await buildK8sCheck();
  const child = run(binary, ['audit-policy', policyFile], { maxBuffer: MAX_OUTPUT });
  child.child.stdin!.end(JSON.stringify(cases));
  const { stdout } = await child;
  return JSON.parse(stdout) as AuditDecision[];
}
