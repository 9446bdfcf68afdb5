import os from 'node:os';

/** What the figures were measured on; a benchmark result means little without it. */
export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  kafka?: string;
  /** 1-minute load average when the run started and ended: other work on the machine skews wall times. */
  loadAverage: { start: number; end?: number };
}

export function describeMachine(): MachineInfo {
  return {
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    loadAverage: { start: os.loadavg()[0]! },
  };
}

export function currentLoad(): number {
  return os.loadavg()[0]!;
}

