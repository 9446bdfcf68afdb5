import assert from 'node:assert/strict';
import { LogFileNaming } from '../../../src/source/backup-names.js';

describe('LogFileNaming', () => {
  const naming = new LogFileNaming('/var/log/kubernetes/audit.log');

  it('recognises the live file and orders it after every backup', () => {
    const live = naming.classify('audit.log')!;
    const backup = naming.classify('audit-2026-11-27T10-00-00.000.log')!;
    assert.equal(live.live, true);
    assert.ok(backup.orderKey < live.orderKey);
  });

  it('recognises lumberjack backups, plain and gzipped, ordered by their timestamp', () => {
    const older = naming.classify('audit-2026-11-27T09-59-59.999.log.gz')!;
    const newer = naming.classify('audit-2026-11-27T10-00-00.000.log')!;
    assert.equal(older.compressed, true);
    assert.equal(newer.compressed, false);
    assert.ok(older.orderKey < newer.orderKey);
  });

  it('recognises logrotate copytruncate copies with a date suffix', () => {
    const copy = naming.classify('audit.log-20261127.gz')!;
    assert.equal(copy.compressed, true);
    assert.equal(copy.live, false);
  });

  it("recognises logrotate's numbered copies, plain and gzipped, the highest number the oldest", () => {
    const [first, second, tenth] = ['audit.log.1', 'audit.log.2.gz', 'audit.log.10.gz'].map((name) => naming.classify(name)!);
    assert.deepEqual([first!.compressed, second!.compressed, tenth!.compressed], [false, true, true]);
    assert.ok(tenth!.orderKey < second!.orderKey && second!.orderKey < first!.orderKey);
    assert.ok(first!.orderKey < naming.classify('audit.log')!.orderKey);
  });

  it('ignores files of other logs and half-matching names', () => {
    for (const name of ['audit.log.tmp', 'other-2026-11-27T10-00-00.000.log', 'audit-2026-11-27.log', 'audit.json', 'audit.log-abc', 'audit.log.0', 'audit.log.1.tmp', 'audit.log.gz', 'other.log.1']) {
      assert.equal(naming.classify(name), undefined, name);
    }
  });
});
