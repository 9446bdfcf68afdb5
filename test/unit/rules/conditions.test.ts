import assert from 'node:assert/strict';
import { compileCondition } from '../../../src/rules/language/condition.js';
import { compileEventField } from '../../../src/rules/language/event-field.js';
import { parsePath, readPath, rewritePath } from '../../../src/rules/language/field-path.js';
import { compileGlob } from '../../../src/rules/language/glob.js';
import { withPodSpec, writtenEvent } from './written-events.js';

describe('rule building blocks', () => {
  it('globs: * spans any characters, ? one, backslash escapes', () => {
    assert.ok(compileGlob('system:serviceaccount:*')('system:serviceaccount:kube-system:x'));
    assert.ok(compileGlob('/healthz?*')('/healthz?verbose'));
    assert.ok(!compileGlob('/healthz?*')('/healthz'));
    assert.ok(compileGlob('\\*')('*'));
    assert.ok(!compileGlob('\\*')('pods'));
    assert.ok(compileGlob('a.b')('a.b') && !compileGlob('a.b')('axb'));
  });

  it('globs whose only wildcard is * match exactly the texts their regular expression matches', () => {
    // Patterns and texts over a small alphabet, so that parts overlap, repeat and touch.
    let seed = 17;
    const next = (limit: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % limit;
    };
    const word = (alphabet: string, length: number): string => Array.from({ length }, () => alphabet[next(alphabet.length)]).join('');
    for (let round = 0; round < 3000; round += 1) {
      const pattern = word('ab:*', 1 + next(7));
      if (!pattern.includes('*')) continue;
      const asRegExp = new RegExp(`^${pattern.replace(/\*/g, '[\\s\\S]*')}$`);
      const glob = compileGlob(pattern);
      for (let text = 0; text < 20; text += 1) {
        const candidate = word('ab:', next(9));
        assert.equal(glob(candidate), asRegExp.test(candidate), `${pattern} on ${JSON.stringify(candidate)}`);
      }
    }
    assert.ok(compileGlob('*/proxy/metrics*')('/api/v1/nodes/n1/proxy/metrics/cadvisor'));
    assert.ok(!compileGlob('a*a')('a'));
  });

  it('paths: keys, quoted keys with dots and slashes, indexes, wildcards, implicit array steps', () => {
    const value = { a: [{ b: 1 }, { b: 2 }], m: { 'x.k8s.io/y': 'v' }, d: { k1: 's1', k2: 's2' } };
    assert.deepEqual(readPath(value, parsePath('a.b')), [1, 2]);
    assert.deepEqual(readPath(value, parsePath('a[1].b')), [2]);
    assert.deepEqual(readPath(value, parsePath('m["x.k8s.io/y"]')), ['v']);
    assert.deepEqual(readPath(value, parsePath('d.*')), ['s1', 's2']);
    assert.deepEqual(readPath(value, parsePath('a[*].c')), []);
    assert.throws(() => parsePath('a..b'), /bad path/);
    assert.throws(() => parsePath('a["b]'), /bad path/);
    assert.equal(rewritePath(value, parsePath('d.*'), () => 'X'), 2);
    assert.deepEqual(value.d, { k1: 'X', k2: 'X' });
  });

  it('conditions: scalars, lists, numeric ranges on one value, exists, not, every, regex with flags', () => {
    const holds = (spec: unknown, values: unknown[]) => compileCondition(spec)(values);
    assert.ok(holds('get', ['get']) && !holds('get', ['list']));
    assert.ok(holds(['get', 'list'], ['list']));
    assert.ok(holds(403, [403]) && holds('40?', [403]));
    assert.ok(holds(true, [true]) && !holds(true, ['true']));
    assert.ok(holds({ gte: 400, lt: 500 }, [200, 404]));
    assert.ok(!holds({ gte: 400, lt: 500 }, [200, 503]), 'the range must hold for one value');
    assert.ok(holds({ exists: false }, []) && !holds({ exists: true }, []));
    assert.ok(holds({ not: 'system:*' }, []) && !holds({ not: 'system:*' }, ['system:node:a']));
    assert.ok(holds({ every: 'registry.k8s.io/*' }, ['registry.k8s.io/a', 'registry.k8s.io/b']));
    assert.ok(!holds({ every: 'registry.k8s.io/*' }, ['registry.k8s.io/a', 'evil/b']));
    assert.ok(!holds({ every: 'x' }, []));
    assert.ok(holds({ regex: '/PASSWORD/i' }, ['db_password=1']));
    assert.throws(() => compileCondition([]), /empty list/);
    assert.throws(() => compileCondition({ gt: 'x' }), /gt takes a number/);
  });

  it('event fields: aliases, pod specs of pods and workload templates, exec commands', () => {
    const deployment = writtenEvent(withPodSpec('Deployment', { hostNetwork: true, containers: [{ image: 'a' }], initContainers: [{ image: 'b' }] }));
    assert.deepEqual(compileEventField('podSpec.hostNetwork')(deployment), [true]);
    assert.deepEqual(compileEventField('podContainers.image')(deployment), ['a', 'b']);
    const service = writtenEvent({ objectRef: { resource: 'services' }, requestObject: { kind: 'Service', spec: { containers: [{ image: 'not-a-pod' }] } } });
    assert.deepEqual(compileEventField('podContainers.image')(service), [], 'a Service spec is not a pod spec');
    assert.deepEqual(compileEventField('user')(deployment), ['alice@example.com']);
    assert.deepEqual(compileEventField('group')(deployment), ['developers', 'system:authenticated']);
    assert.deepEqual(compileEventField('decision')(deployment), ['allow']);
    const exec = writtenEvent({ requestURI: '/api/v1/namespaces/a/pods/b/exec?command=sh\u0026command=-c\u0026command=id%3B+whoami\u0026stdin=true' });
    assert.deepEqual(compileEventField('execCommand')(exec), ['sh -c id; whoami']);
  });
});
