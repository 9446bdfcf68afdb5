import { chmodSync, statSync } from 'node:fs';
import { waitUntil } from './agent-process.js';

/** The user the agent without CAP_DAC_OVERRIDE is played by: root opens a file whatever its mode. */
export const NOBODY = 65534;

/**
 * Runs `body` as nobody when the tests run as root, so that a file's mode denies reading as it
 * does to the agent in its pod; the directory must let nobody in. Run as another user, the mode
 * already denies it.
 */
export async function asNobody<T>(body: () => Promise<T>): Promise<T> {
  const asRoot = process.geteuid?.() === 0;
  if (asRoot) process.seteuid!(NOBODY);
  try {
    return await body();
  } finally {
    if (asRoot) process.seteuid!(0);
  }
}

/**
 * Gives `file` a new mode once its change time can show it: the kernel's clock for file times is
 * coarse, so a chmod right after the file was stat'ed may leave the change time as it was, which
 * a chmod minutes later never does.
 */
export async function chmodSeen(file: string, mode: number, ctimeBefore: number): Promise<void> {
  await waitUntil(
    () => {
      chmodSync(file, mode);
      return statSync(file).ctimeMs !== ctimeBefore;
    },
    10_000,
    `a change time of ${file} other than ${ctimeBefore}`,
    5,
  );
}
