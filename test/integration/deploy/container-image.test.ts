import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { waitUntil } from '../../helpers/agent-process.js';
import { freePort, runServerScript } from '../../helpers/forward/server-scripts.js';
import { KafkaBroker } from '../kafka/kafka-broker.js';
import { auditKeyOf, createTopic, TopicReader } from '../kafka/topic-reader.js';
import { rawLines, CORPUS_DIR } from '../../helpers/corpus.js';
import { renderKustomization } from '../../unit/deploy/k8s-check.js';
import { copyOfManifests } from '../../unit/deploy/manifests-copy.js';
import { describeDeployment, type RenderedDeployment } from '../../unit/deploy/rendered-deployment.js';
import { REPO_ROOT } from '../../unit/deploy/repo-root.js';
import { assembleImage, type AssembledImage } from './image-assembly.js';
import { mountInfo, podLaunch, startPod, type HostVolumes } from './pod-launch.js';

const NODE_NAME = 'cp-1';
/** What the tests may talk to: the agent's endpoints on loopback, sinks on a closed loopback port. */
const LOOPBACK_HTTP = { KAF_HTTP_HOST: '127.0.0.1', KAF_HTTP_PORT: '0' };
const REAL_LOG = path.join(CORPUS_DIR, 'audit2rbac-demo-v1.log');

/** Prometheus text → the value of one unlabelled sample. */
function sample(metrics: string, name: string): number {
  const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics);
  if (!match) throw new Error(`no sample ${name}`);
  return Number(match[1]);
}

describe('container image and DaemonSet, without a container engine', function () {
  // Cold: npm ci twice, tsc, and the Go helper's first build.
  this.timeout(900_000);
  let image: AssembledImage;
  let scratch: string;

  before(async () => {
    image = await assembleImage();
    scratch = await mkdtemp(path.join(tmpdir(), 'kaf-pod-'));
  });

  after(async () => {
    await image?.remove();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('runs the Dockerfile steps: the runtime stage holds the compiled agent and production dependencies only', async () => {
    await stat(image.hostPath('/app/dist/src/cli.js'));
    const modules = await readdir(image.hostPath('/app/node_modules'));
    for (const runtimeDependency of ['@confluentinc', 'prom-client', 'winston', 'yargs', 'chokidar']) {
      assert.ok(modules.includes(runtimeDependency), `${runtimeDependency} is installed`);
    }
    const { devDependencies } = JSON.parse(await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    assert.ok(Object.keys(devDependencies).includes('typescript'));
    for (const devDependency of Object.keys(devDependencies)) {
      const installed = await stat(image.hostPath(`/app/node_modules/${devDependency}`)).then(() => true, () => false);
      assert.equal(installed, false, `dev dependency ${devDependency} is left out`);
    }
    assert.deepEqual(await readdir(image.hostPath('/app')).then((names) => names.sort()), ['LICENSE', 'THIRD-PARTY-NOTICES.md', 'dist', 'node_modules', 'package.json']);
    assert.equal(image.env.NODE_ENV, 'production');
    console.log(`      Dockerfile RUN steps (ms): ${JSON.stringify(image.runTimesMs)}`);
  });

  it("holds the Kafka client's native addon, built in the image's build stage: it loads, with every codec and SASL mechanism", async () => {
    const script = [
      "const k = require('@confluentinc/kafka-javascript');",
      "console.log(JSON.stringify({ version: k.librdkafkaVersion, features: k.features }));",
    ].join(' ');
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { cwd: image.hostPath('/app'), env: { PATH: process.env.PATH, ...image.env } });
    const { version, features } = JSON.parse(stdout) as { version: string; features: string[] };
    assert.match(version, /^2\.\d+\.\d+$/);
    for (const feature of ['gzip', 'snappy', 'lz4', 'zstd', 'ssl', 'sasl_plain', 'sasl_scram', 'sasl_oauthbearer']) {
      assert.ok(features.includes(feature), `librdkafka ${version} has ${feature}`);
    }
    // The distroless runtime has glibc and OpenSSL, no zlib or zstd: librdkafka must link those in.
    const { stdout: linked } = await promisify(execFile)('ldd', [image.hostPath('/app/node_modules/@confluentinc/kafka-javascript/build/deps/librdkafka.so.1')]);
    const libraries = linked.split('\n').map((line) => line.trim().split(/\s/)[0]!).filter((name) => name.length > 0);
    for (const library of libraries) assert.match(library, /^(linux-vdso|\/lib64\/ld-linux|libc|libm|libssl|libcrypto)\b/, `librdkafka needs ${library}`);
  });

  it("starts from the image's ENTRYPOINT and CMD and answers --help", async () => {
    const [, ...cmd] = [...image.entrypoint, ...image.cmd];
    const { stdout } = await promisify(execFile)(process.execPath, [...cmd.map((arg) => (arg.startsWith('/app/') ? image.hostPath(arg) : arg)), '--help'], {
      env: { PATH: process.env.PATH, ...image.env },
    });
    for (const flag of ['--path', '--checkpoint-dir', '--sink', '--kafka-brokers', '--forward-servers', '--http-port']) {
      assert.ok(stdout.includes(flag), `--help lists ${flag}`);
    }
  });

  /** Host directories for the pod's volumes: a log dir holding a real audit log, a checkpoint dir, Secret files. */
  async function hostVolumes(deployment: RenderedDeployment, name: string, secretFiles: Record<string, string>): Promise<HostVolumes> {
    const volumes: HostVolumes = {};
    for (const volume of deployment.pod.volumes ?? []) {
      const dir = path.join(scratch, name, volume.name);
      await mkdir(dir, { recursive: true });
      volumes[volume.name] = dir;
      if (volume.secret) {
        for (const [file, content] of Object.entries(secretFiles)) {
          await writeFile(path.join(dir, file), content);
          await chmod(path.join(dir, file), volume.secret.defaultMode ?? 0o644);
        }
      }
    }
    // The DaemonSet's log volume is the directory above the audit log's own.
    const logMount = deployment.container.volumeMounts!.find((mount) => deployment.settings.KAF_PATH!.startsWith(`${mount.mountPath}/`))!;
    const logFile = path.join(volumes[logMount.name]!, deployment.settings.KAF_PATH!.slice(logMount.mountPath.length));
    await mkdir(path.dirname(logFile), { recursive: true });
    await writeFile(logFile, Buffer.concat(rawLines(REAL_LOG).flatMap((line) => [line, Buffer.from('\n')])));
    await chmod(logFile, 0o600);
    return volumes;
  }

  it('runs like the base DaemonSet: serves /healthz, /readyz, /metrics, ships every event, and drains on SIGTERM', async () => {
    const deployment = describeDeployment(await renderKustomization(path.join(REPO_ROOT, 'manifests/base')));
    const volumes = await hostVolumes(deployment, 'base', {});
    const launch = podLaunch(deployment, image, volumes, { nodeName: NODE_NAME, overrides: LOOPBACK_HTTP });
    const pod = startPod(launch);
    try {
      const { url } = (await pod.waitForLog((entry) => entry.message === 'http endpoints listening', 30_000)) as unknown as { url: string };

      // The agent sees its log volume and its own code read-only, as in the pod.
      const mounts = await mountInfo(pod.pid);
      const logVolume = deployment.container.volumeMounts!.find((mount) => mount.mountPath === '/var/log/kubernetes')!.name;
      assert.deepEqual(launch.readOnly.sort(), [volumes[logVolume]!, image.root].sort());
      for (const dir of launch.readOnly) {
        assert.match(mounts, new RegExp(`\\s${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s+ro,`), `${dir} is read-only for the agent`);
      }

      assert.equal((await fetch(`${url}/healthz`)).status, 200);
      const events = rawLines(REAL_LOG).length;
      let metrics = '';
      await waitUntil(
        async () => {
          metrics = await (await fetch(`${url}/metrics`)).text();
          return sample(metrics, 'kube_audit_forwarder_events_shipped_total') === events;
        },
        60_000,
        'every event shipped',
      );
      assert.equal(sample(metrics, 'kube_audit_forwarder_bytes_lost_total'), 0);
      assert.match(metrics, /^# HELP process_cpu_seconds_total /m, 'Node default metrics under their standard names');
      assert.match(metrics, /^# TYPE kube_audit_forwarder_batch_latency_seconds histogram$/m);

      const readiness = await fetch(`${url}/readyz`);
      assert.equal(readiness.status, 200);
      const report = (await readiness.json()) as { ready: boolean; checks: Record<string, { ok: boolean }> };
      assert.equal(report.ready, true);
      assert.ok(Object.values(report.checks).every((check) => check.ok));

      pod.kill('SIGTERM');
      const graceMs = deployment.pod.terminationGracePeriodSeconds! * 1000;
      assert.equal((await pod.waitForExit(graceMs)).code, 0);
      assert.equal(Buffer.concat(pod.stdoutChunks).toString('utf8').trim().split('\n').length, events, 'the stdout sink printed every event');
      const stopped = pod.logs.find((entry) => entry.message === 'agent stopped');
      assert.equal(stopped?.drained, true);
      const checkpointFiles = await readdir(volumes[deployment.container.volumeMounts!.find((m) => m.mountPath === deployment.settings.KAF_CHECKPOINT_DIR)!.name]!);
      assert.ok(checkpointFiles.some((file) => /checkpoint/.test(file)), `checkpoint written: ${checkpointFiles.join(', ')}`);
    } finally {
      pod.kill('SIGKILL');
    }
  });

  const SINK_DOWN_CASES: Array<{ overlay: string; addressOverrides: (port: number) => Record<string, string>; secretFiles: () => Record<string, string> }> = [
    {
      overlay: 'kafka',
      addressOverrides: (port) => ({ KAF_KAFKA_BROKERS: `127.0.0.1:${port}` }),
      secretFiles: () => ({ 'ca.crt': selfSignedCa(), 'sasl-password': 'not-a-real-password\n' }),
    },
    {
      overlay: 'fluentd',
      addressOverrides: (port) => ({ KAF_FORWARD_SERVERS: `127.0.0.1:${port}` }),
      secretFiles: () => ({ 'ca.crt': selfSignedCa(), 'shared-key': 'not-a-real-key\n' }),
    },
  ];

  for (const { overlay, addressOverrides, secretFiles } of SINK_DOWN_CASES) {
    it(`runs like the ${overlay} DaemonSet with its sink down: /healthz stays 200 while /readyz turns 503 and names the sink`, async () => {
      const deployment = describeDeployment(await renderKustomization(path.join(REPO_ROOT, 'manifests/overlays', overlay)));
      const volumes = await hostVolumes(deployment, overlay, secretFiles());
      const overrides = { ...LOOPBACK_HTTP, ...addressOverrides(await freePort()) };
      const pod = startPod(podLaunch(deployment, image, volumes, { nodeName: NODE_NAME, overrides }));
      try {
        const { url } = (await pod.waitForLog((entry) => entry.message === 'http endpoints listening', 30_000)) as unknown as { url: string };
        let response = await fetch(`${url}/readyz`);
        await waitUntil(
          async () => {
            response = await fetch(`${url}/readyz`);
            return response.status === 503;
          },
          60_000,
          'readiness to report the sink down',
        );
        const report = (await response.json()) as { checks: Record<string, { ok: boolean; detail: string }> };
        assert.equal(report.checks.sink?.ok, false);
        assert.equal(report.checks.checkpoint?.ok, true);
        assert.equal((await fetch(`${url}/healthz`)).status, 200);
        const metrics = await (await fetch(`${url}/metrics`)).text();
        assert.equal(sample(metrics, 'kube_audit_forwarder_events_shipped_total'), 0);
        pod.kill('SIGTERM');
        assert.equal((await pod.waitForExit(deployment.pod.terminationGracePeriodSeconds! * 1000)).code, 0);
      } finally {
        pod.kill('SIGKILL');
      }
    });
  }

  it('runs like the fluentd DaemonSet against a forward server with TLS and the shared key: ready, every event acked', async () => {
    const sharedKey = 'kaf-deploy-test-shared-key';
    const serverArgs = ['--port', String(await freePort()), '--dir', path.join(scratch, 'forward-server'), '--shared-key', sharedKey, '--tls'];
    const server = await runServerScript('forward-auth-server.sh', ['start', ...serverArgs]);
    try {
      const deployment = describeDeployment(await renderKustomization(path.join(REPO_ROOT, 'manifests/overlays/fluentd')));
      const volumes = await hostVolumes(deployment, 'fluentd-up', {
        'ca.crt': await readFile(server.FORWARD_AUTH_SERVER_TLS_CA!, 'utf8'),
        'shared-key': `${sharedKey}\n`,
      });
      const overrides = { ...LOOPBACK_HTTP, KAF_FORWARD_SERVERS: server.FORWARD_AUTH_SERVER_ADDRESS! };
      const pod = startPod(podLaunch(deployment, image, volumes, { nodeName: NODE_NAME, overrides }));
      try {
        const { url } = (await pod.waitForLog((entry) => entry.message === 'http endpoints listening', 30_000)) as unknown as { url: string };
        const expected = rawLines(REAL_LOG).map((line) => (JSON.parse(line.toString('utf8')) as { auditID: string }).auditID);
        let received: Array<{ tag: string; record: { auditID: string } }> = [];
        await waitUntil(
          async () => {
            received = (await readFile(server.FORWARD_AUTH_SERVER_OUTPUT!, 'utf8').catch(() => ''))
              .split('\n')
              .filter((line) => line.length > 0)
              .map((line) => JSON.parse(line) as { tag: string; record: { auditID: string } });
            return received.length >= expected.length;
          },
          60_000,
          'every event at the forward server',
        );
        assert.deepEqual(received.map((entry) => entry.record.auditID).sort(), [...expected].sort());
        assert.ok(received.every((entry) => entry.tag === deployment.settings.KAF_FORWARD_TAG));
        const readiness = await fetch(`${url}/readyz`);
        assert.equal(readiness.status, 200, await readiness.text());
        pod.kill('SIGTERM');
        assert.equal((await pod.waitForExit(deployment.pod.terminationGracePeriodSeconds! * 1000)).code, 0);
      } finally {
        pod.kill('SIGKILL');
      }
    } finally {
      await runServerScript('forward-auth-server.sh', ['stop', ...serverArgs]);
    }
  });

  it('runs like the kafka DaemonSet (SASL lines removed, as the guide says for brokers without it) over TLS to a real broker: ready, every event in the topic', async () => {
    const broker = new KafkaBroker({ version: '4.4.0', name: 'kafka-deploy-test', port: 21092, ssl: true });
    const addresses = await broker.start({ fresh: true });
    let reader: TopicReader | undefined;
    const manifestsCopy = await copyOfManifests();
    try {
      const kafkaEnv = path.join(manifestsCopy, 'overlays/kafka/kafka.env');
      await writeFile(kafkaEnv, (await readFile(kafkaEnv, 'utf8')).replace(/^KAF_KAFKA_SASL_.*\n/gm, ''));
      const deployment = describeDeployment(await renderKustomization(path.join(manifestsCopy, 'overlays/kafka')));
      assert.equal(deployment.settings.KAF_KAFKA_SASL_MECHANISM, undefined);
      const topic = deployment.settings.KAF_KAFKA_TOPIC!;
      await createTopic(addresses.bootstrap, topic);
      reader = new TopicReader(addresses.bootstrap, topic);
      await reader.start();

      const volumes = await hostVolumes(deployment, 'kafka-up', { 'ca.crt': await readFile(addresses.tlsCaFile!, 'utf8') });
      const overrides = { ...LOOPBACK_HTTP, KAF_KAFKA_BROKERS: addresses.sslBootstrap! };
      const pod = startPod(podLaunch(deployment, image, volumes, { nodeName: NODE_NAME, overrides }));
      try {
        const { url } = (await pod.waitForLog((entry) => entry.message === 'http endpoints listening', 30_000)) as unknown as { url: string };
        const expected = rawLines(REAL_LOG).map((line) => auditKeyOf(line));
        await waitUntil(() => reader!.missing(expected).length === 0, 90_000, 'every event in the topic');
        assert.ok(reader.messages.every((message) => message.key === auditKeyOf(message.value).split('/')[0]), 'keyed by auditID');
        assert.equal(reader.duplicates(), 0, 'a clean run sends each event once');
        const readiness = await fetch(`${url}/readyz`);
        assert.equal(readiness.status, 200, await readiness.text());
        pod.kill('SIGTERM');
        assert.equal((await pod.waitForExit(deployment.pod.terminationGracePeriodSeconds! * 1000)).code, 0);
      } finally {
        pod.kill('SIGKILL');
      }
    } finally {
      await reader?.stop();
      await broker.stop();
      await rm(manifestsCopy, { recursive: true, force: true });
    }
  });
});

let caPem: string | undefined;
/** A throw-away self-signed CA certificate, so the TLS settings load as they would in a cluster. */
function selfSignedCa(): string {
  caPem ??= execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', '/dev/null', '-subj', '/CN=kaf-test-ca', '-days', '1'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return caPem;
}
