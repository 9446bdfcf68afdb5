import assert from 'node:assert/strict';
import { EXIT_NOW_GRACE_MS, StopSignalPolicy, StopSignals, type StopSignalLog } from '../../../src/commands/stop-signals.js';

/** A clock the test moves by hand. */
function clock(): { now: () => number; advance: (ms: number) => void } {
  let time = 1_000;
  return { now: () => time, advance: (ms) => (time += ms) };
}

function recordingLog(): StopSignalLog & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (message, fields) => lines.push(`info ${message} ${String(fields.signal)}`),
    warn: (message, fields) => lines.push(`warn ${message} ${String(fields.signal)}`),
  };
}

describe('stop signals', () => {
  describe('policy', () => {
    it('drains on the first signal', () => {
      assert.equal(new StopSignalPolicy(2_000, clock().now).decide(), 'drain');
    });

    it('keeps draining on a second signal within the grace (Ctrl-C, then a wrapper’s SIGTERM 3 ms later)', () => {
      const time = clock();
      const policy = new StopSignalPolicy(2_000, time.now);
      policy.decide();
      time.advance(3);
      assert.equal(policy.decide(), 'already-draining');
      time.advance(1_990);
      assert.equal(policy.decide(), 'exit-now', 'a third signal exits whenever it comes');
    });

    it('exits at once on a second signal that comes after the grace', () => {
      const time = clock();
      const policy = new StopSignalPolicy(2_000, time.now);
      policy.decide();
      time.advance(2_000);
      assert.equal(policy.decide(), 'exit-now');
    });

    it('has a grace of two seconds by default', () => {
      assert.equal(EXIT_NOW_GRACE_MS, 2_000);
      assert.equal(new StopSignalPolicy().graceMs, 2_000);
    });
  });

  describe('process handlers', () => {
    let installed: StopSignals | undefined;
    afterEach(() => installed?.uninstall());

    it('resolve `requested` with the first signal and exit 1 only on the third within the grace', async () => {
      const exits: number[] = [];
      installed = StopSignals.install(new StopSignalPolicy(60_000), (code) => exits.push(code));
      process.emit('SIGINT', 'SIGINT');
      process.emit('SIGTERM', 'SIGTERM');
      assert.equal(await installed.requested, 'SIGINT');
      assert.equal(installed.signal, 'SIGINT');
      assert.deepEqual(exits, []);
      process.emit('SIGTERM', 'SIGTERM');
      assert.deepEqual(exits, [1]);
    });

    it('report signals that came before the logger existed once it is attached, then the later ones as they come', () => {
      installed = StopSignals.install(new StopSignalPolicy(60_000), () => undefined);
      process.emit('SIGTERM', 'SIGTERM');
      const log = recordingLog();
      installed.attachLog(log);
      assert.deepEqual(log.lines, ['info signal received: draining in-flight batches and writing the checkpoint SIGTERM']);
      process.emit('SIGINT', 'SIGINT');
      assert.match(log.lines[1]!, /^info signal received while draining: still draining .* SIGINT$/);
      process.emit('SIGINT', 'SIGINT');
      assert.equal(log.lines[2], 'warn signal received again: exiting without waiting for the drain SIGINT');
    });

    it('are removed by uninstall, which returns the signal that came meanwhile', () => {
      const before = [process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')];
      const signals = StopSignals.install(new StopSignalPolicy(60_000), () => undefined);
      assert.deepEqual([process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')], [before[0]! + 1, before[1]! + 1]);
      process.emit('SIGTERM', 'SIGTERM');
      assert.equal(signals.uninstall(), 'SIGTERM');
      assert.deepEqual([process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')], before);
    });
  });
});
