import { cp, mkdir, mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import { REPO_ROOT } from './repo-root.js';

/**
 * A scratch copy of manifests/ inside the repository's git-ignored .cache, for the edits the
 * deployment guide tells an admin to make. The caller removes it.
 */
export async function copyOfManifests(): Promise<string> {
  await mkdir(path.join(REPO_ROOT, '.cache'), { recursive: true });
  const copy = await mkdtemp(path.join(REPO_ROOT, '.cache', 'manifests-'));
  await cp(path.join(REPO_ROOT, 'manifests'), copy, { recursive: true });
  return copy;
}
