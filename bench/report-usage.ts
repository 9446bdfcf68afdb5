import { writeFileSync } from 'node:fs';

/**
 * Preloaded into a measured child (`node --import dist/bench/report-usage.js …`): when the child
 * exits, it writes its own CPU time and peak RSS, as the kernel counted them, to the file named
 * by BENCH_USAGE_FILE. Polling /proc from outside would miss the last moments before the exit.
 */
export interface ReportedUsage {
  userCpuSeconds: number;
  systemCpuSeconds: number;
  maxRssBytes: number;
}

const target = process.env.BENCH_USAGE_FILE;
if (target) {
  process.on('exit', () => {
    const usage = process.resourceUsage();
    const reported: ReportedUsage = {
      userCpuSeconds: usage.userCPUTime / 1e6,
      systemCpuSeconds: usage.systemCPUTime / 1e6,
      maxRssBytes: usage.maxRSS * 1024,
    };
    writeFileSync(target, JSON.stringify(reported));
  });
}
