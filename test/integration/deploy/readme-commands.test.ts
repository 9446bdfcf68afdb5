import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { renderKustomization } from '../../unit/deploy/k8s-check.js';
import { CHART, helm } from '../../unit/deploy/helm.js';
import { describeDeployment } from '../../unit/deploy/rendered-deployment.js';
import { REPO_ROOT } from '../../unit/deploy/repo-root.js';

const README = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');

/** The shell commands of the README's sh blocks, continuation lines joined, comments dropped. */
function commands(): string[] {
  return [...README.matchAll(/^```sh\n([^]*?)^```$/gm)]
    .flatMap((block) => block[1]!.replace(/\\\n\s*/g, '').split('\n'))
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line.length > 0 && !line.startsWith('#'));
}

/** Shell words of a simple command line (single quotes only, as the README uses). */
function words(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

describe('README', function () {
  this.timeout(1_800_000);

  it('stays a page a newcomer reads in five minutes: at most 120 lines, reference in docs/', () => {
    assert.ok(README.split('\n').length <= 120, `README.md has ${README.split('\n').length} lines`);
    for (const heading of ['## Quick start', '## Deploy on Kubernetes', '## Guarantees', '## Documentation']) {
      assert.ok(README.includes(`\n${heading}\n`), heading);
    }
  });

  it('links only files that exist', async () => {
    const links = [...README.matchAll(/\]\(([^)#]+)(#[^)]*)?\)/g)].map((m) => m[1]!).filter((link) => !/^https?:/.test(link));
    assert.ok(links.length >= 8);
    for (const link of links) await stat(path.join(REPO_ROOT, link));
  });

  it('shows only commands that work: make targets that exist, overlays that render, a helm install that renders', async () => {
    const makefile = readFileSync(path.join(REPO_ROOT, 'Makefile'), 'utf8');
    const lines = commands();
    const checked = new Set<string>();
    for (const line of lines) {
      const argv = words(line);
      if (argv[0] === 'make') {
        assert.match(makefile, new RegExp(`^${argv[1]}:`, 'm'), `make ${argv[1]} is a target`);
        checked.add('make');
      } else if (argv[0] === 'kubectl' && argv.includes('apply') && argv.includes('-k')) {
        const dir = argv[argv.indexOf('-k') + 1]!;
        const deployment = describeDeployment(await renderKustomization(path.join(REPO_ROOT, dir)));
        const secretCommand = lines.find((l) => l.includes('create secret generic kube-audit-forwarder-'))!;
        const secretName = /create secret generic (\S+)/.exec(secretCommand)![1]!;
        assert.ok(
          deployment.pod.volumes!.some((volume) => volume.secret?.secretName === secretName),
          `${dir} mounts the Secret ${secretName} the README creates`,
        );
        checked.add('kustomize');
      } else if (argv[0] === 'helm' && argv[1] === 'install') {
        const [, , release, chart, ...rest] = argv;
        assert.equal(path.resolve(REPO_ROOT, chart!), CHART);
        const manifest = await helm(['template', release!, chart!, ...rest].map((word) => (word === chart ? CHART : word)));
        assert.match(manifest, /kind: DaemonSet/);
        // The Secret the README creates holds every key the release mounts.
        const secretCommand = lines.find((l) => l.includes('create secret generic') && !l.includes('kube-audit-forwarder-'))!;
        const secretName = /create secret generic (\S+)/.exec(secretCommand)![1]!;
        const keys = [...secretCommand.matchAll(/--from-file=([^=]+)=/g)].map((m) => m[1]!).sort();
        const mounted = [...manifest.matchAll(new RegExp(`name: ${secretName}\\n\\s+items:\\n((?:\\s+- key: \\S+\\n\\s+path: \\S+\\n)+)`, 'g'))]
          .flatMap((m) => [...m[1]!.matchAll(/key: (\S+)/g)].map((k) => k[1]!))
          .sort();
        assert.deepEqual(mounted, keys, `the release mounts exactly the keys of ${secretName}`);
        checked.add('helm');
      }
    }
    assert.deepEqual([...checked].sort(), ['helm', 'kustomize', 'make']);
  });
});
