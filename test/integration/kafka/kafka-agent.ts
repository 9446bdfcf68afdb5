import { readFileSync } from 'node:fs';
import type { AgentWorkspace } from '../../helpers/agent-fixture.js';
import { AgentProcess } from '../../helpers/agent-process.js';

/** The agent with the Kafka sink on a test workspace, polling fast so tests converge quickly. */
export function startKafkaAgent(workspace: AgentWorkspace, bootstrap: string, topic: string, extra: string[] = []): AgentProcess {
  return new AgentProcess([
    'run',
    '--path', workspace.livePath,
    '--checkpoint-dir', workspace.checkpointDir,
    '--sink', 'kafka',
    '--kafka-brokers', bootstrap,
    '--kafka-topic', topic,
    '--poll-interval-ms', '100',
    '--checkpoint-interval-ms', '100',
    '--batch-linger-ms', '20',
    '--retry-max-ms', '1000',
    '--http-host', '127.0.0.1',
    '--log-level', 'info',
    ...extra,
  ]);
}

/** Resident set size of a process, from /proc. */
export function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0) * 1024;
}

async function endpointUrl(agent: AgentProcess): Promise<string> {
  const { url } = (await agent.waitForLog((entry) => entry.message === 'http endpoints listening')) as unknown as { url: string };
  return url;
}

export async function readyzStatus(agent: AgentProcess): Promise<number> {
  return (await fetch(`${await endpointUrl(agent)}/readyz`)).status;
}

/** The value of one Prometheus sample on the agent's /metrics, 0 when absent. */
export async function metricValue(agent: AgentProcess, sample: string): Promise<number> {
  const text = await (await fetch(`${await endpointUrl(agent)}/metrics`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${sample} `));
  return line === undefined ? 0 : Number(line.slice(sample.length + 1));
}
