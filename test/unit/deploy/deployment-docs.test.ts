import assert from 'node:assert/strict';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import yaml from 'js-yaml';
import { renderKustomization } from './k8s-check.js';
import { copyOfManifests } from './manifests-copy.js';
import { describeDeployment, type RenderedDeployment } from './rendered-deployment.js';
import { REPO_ROOT } from './repo-root.js';

const DOC = path.join(REPO_ROOT, 'docs/deploy.md');

/** The fenced code blocks of a Markdown text, with their language. */
function codeBlocks(markdown: string): Array<{ language: string; code: string }> {
  return [...markdown.matchAll(/^( *)```(\w*)\n([^]*?)^\1```$/gm)].map((match) => ({
    language: match[2]!,
    // A block inside a list item is indented like the item's text.
    code: match[3]!.replace(new RegExp(`^${match[1]}`, 'gm'), ''),
  }));
}

interface KubeadmClusterConfiguration {
  apiVersion: string;
  kind: string;
  apiServer: {
    extraArgs: Array<{ name: string; value: string }>;
    extraVolumes: Array<{ name: string; hostPath: string; mountPath: string; readOnly: boolean; pathType: string }>;
  };
}

describe('deployment guide (docs/deploy.md)', function () {
  this.timeout(600_000);
  let markdown: string;
  let blocks: Array<{ language: string; code: string }>;
  let base: RenderedDeployment;

  before(async () => {
    markdown = await readFile(DOC, 'utf8');
    blocks = codeBlocks(markdown);
    base = describeDeployment(await renderKustomization(path.join(REPO_ROOT, 'manifests/base')));
  });

  it('configures kube-apiserver (kubeadm and plain flags alike) to write the log where the DaemonSet reads it', () => {
    const kubeadm = blocks
      .filter((block) => block.language === 'yaml')
      .map((block) => yaml.load(block.code) as Partial<KubeadmClusterConfiguration>)
      .find((document) => document.kind === 'ClusterConfiguration') as KubeadmClusterConfiguration;
    assert.equal(kubeadm.apiVersion, 'kubeadm.k8s.io/v1beta4');
    const args = Object.fromEntries(kubeadm.apiServer.extraArgs.map(({ name, value }) => [name, value]));
    assert.equal(args['audit-log-path'], base.settings.KAF_PATH, 'kube-apiserver writes KAF_PATH');
    assert.equal(args['audit-log-format'], 'json');

    const logDir = path.posix.dirname(args['audit-log-path']!);
    const logVolume = kubeadm.apiServer.extraVolumes.find((volume) => volume.mountPath === logDir);
    assert.equal(logVolume?.hostPath, logDir, 'kube-apiserver writes the log to the same path on the node');
    assert.equal(logVolume.readOnly, false);
    const agentLogVolume = base.pod.volumes!.find((volume) => volume.name === 'audit-log')!.hostPath!.path;
    assert.ok(logDir.startsWith(`${agentLogVolume}/`), `${logDir} is inside the DaemonSet's ${agentLogVolume}`);

    const policyVolume = kubeadm.apiServer.extraVolumes.find((volume) => volume.mountPath === args['audit-policy-file']);
    assert.equal(policyVolume?.readOnly, true);
    assert.ok(markdown.includes(`manifests/audit-policy.yaml ${policyVolume.hostPath}`), 'the guide installs the policy where kubeadm mounts it');

    const flags = blocks.find((block) => block.language === '' && block.code.includes('--audit-policy-file='))!;
    const flagValues = Object.fromEntries([...flags.code.matchAll(/^--([a-z-]+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));
    assert.deepEqual(flagValues, args, 'the plain flags match the kubeadm extraArgs');
  });

  for (const overlay of ['kafka', 'fluentd']) {
    it(`creates the ${overlay} Secret the overlay mounts, with a key for every credential file it reads`, async () => {
      const deployment = describeDeployment(await renderKustomization(path.join(REPO_ROOT, 'manifests/overlays', overlay)));
      const secretVolume = deployment.pod.volumes!.find((volume) => volume.secret)!;
      const mount = deployment.container.volumeMounts!.find((m) => m.name === secretVolume.name)!;
      const filesRead = Object.values(deployment.settings)
        .filter((value) => value.startsWith(`${mount.mountPath}/`))
        .map((value) => path.posix.basename(value))
        .sort();
      // The command with its continuation lines.
      const command = new RegExp(`kubectl -n (\\S+) create secret generic ${secretVolume.secret!.secretName}((?:.*\\\\\\n)*.*)`).exec(markdown);
      assert.ok(command, `the guide creates the Secret ${secretVolume.secret!.secretName}`);
      assert.equal(command[1], deployment.namespace!.metadata.name);
      const keys = [...command[2]!.matchAll(/--from-file=([^=\s]+)=/g)].map((m) => m[1]!).sort();
      assert.deepEqual(keys, filesRead);
      assert.ok(markdown.includes(`kubectl apply -k manifests/overlays/${overlay}`));
    });
  }

  it('pins the image by digest the way the guide says: digest instead of newTag in the base kustomization', async () => {
    const imageBlock = blocks.find((block) => block.language === 'yaml' && block.code.includes('digest: sha256:<digest>'))!;
    const documented = (yaml.load(imageBlock.code) as { images: Array<{ name: string; newName: string; digest: string }> }).images[0]!;
    const digest = `sha256:${'ab'.repeat(32)}`;
    const copy = await copyOfManifests();
    try {
      const kustomization = path.join(copy, 'base/kustomization.yaml');
      const original = await readFile(kustomization, 'utf8');
      const edited = original.replace(
        /^images:\n[^]*$/m,
        yaml.dump({ images: [{ ...documented, digest }] }),
      );
      assert.notEqual(edited, original);
      await writeFile(kustomization, edited);
      const { container } = describeDeployment(await renderKustomization(path.join(copy, 'overlays/kafka')));
      assert.equal(container.image, `${documented.newName}@${digest}`);
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  });

  it('names only files that exist in the repository', async () => {
    const paths = new Set([...markdown.matchAll(/(?<![\w/])(manifests\/[\w./-]*\w)/g)].map((m) => m[1]!));
    assert.ok(paths.size > 5);
    for (const file of paths) await stat(path.join(REPO_ROOT, file));
  });
});
