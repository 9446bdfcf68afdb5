// Waits until a Kafka broker answers a metadata request, for scripts/kafka.sh.
// An open port is not enough: a KRaft broker listens before it has caught up with its
// controller and answers metadata only once it is registered and unfenced.
// Usage: node wait-for-metadata.mjs HOST:PORT TIMEOUT_SECONDS BROKER_PID
// Plain JavaScript (not compiled TypeScript) so the script works before `tsc` has run.
import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;
const [bootstrap, timeoutSeconds = '60', brokerPid] = process.argv.slice(2);
const deadline = Date.now() + Number(timeoutSeconds) * 1000;

function brokerProcessIsAlive() {
  if (!brokerPid) return true;
  try {
    process.kill(Number(brokerPid), 0);
    return true;
  } catch {
    return false;
  }
}

const kafka = new Kafka({
  brokers: [bootstrap],
  clientId: 'kafka-sh-wait',
  logLevel: logLevel.NOTHING,
  connectionTimeout: 1000,
  requestTimeout: 2000,
  retry: { retries: 0 },
});

let lastError = 'no attempt made';
while (Date.now() < deadline) {
  if (!brokerProcessIsAlive()) {
    console.error(`broker process ${brokerPid} exited before answering metadata requests`);
    process.exit(1);
  }
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    if (cluster.brokers.length > 0 && cluster.controller !== null) {
      await admin.disconnect();
      process.exit(0);
    }
    lastError = 'cluster has no broker or controller yet';
  } catch (error) {
    lastError = error instanceof Error ? error.message : String(error);
  }
  await admin.disconnect().catch(() => {});
  await new Promise((resolve) => setTimeout(resolve, 250));
}
console.error(`broker at ${bootstrap} did not answer metadata within ${timeoutSeconds}s: ${lastError}`);
process.exit(1);
