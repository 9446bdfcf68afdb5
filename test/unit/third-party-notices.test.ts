import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { NOTICES_FILE, noticesMarkdown, shippedPackages, WITHOUT_LICENSE_FILE } from '../../scripts/third-party-notices.js';

describe('licenses', () => {
  const packages = shippedPackages();

  it('ships the full Apache-2.0 text as LICENSE, the license package.json declares', () => {
    const license = readFileSync('LICENSE', 'utf8');
    assert.match(license, /^\s+Apache License\n\s+Version 2\.0, January 2004\n/);
    assert.match(license, /END OF TERMS AND CONDITIONS/);
    assert.equal((JSON.parse(readFileSync('package.json', 'utf8')) as { license: string }).license, 'Apache-2.0');
  });

  it('names every production dependency with a declared license and the license text it ships', () => {
    const production = Object.keys((JSON.parse(readFileSync('package.json', 'utf8')) as { dependencies: object }).dependencies);
    for (const name of production) assert.ok(packages.some((p) => p.name === name), `${name} is listed`);
    for (const p of packages) {
      assert.ok(p.license, `${p.name} declares a license`);
      if (WITHOUT_LICENSE_FILE[p.name]) assert.equal(p.texts.length, 0, `${p.name} now ships a license file: drop it from WITHOUT_LICENSE_FILE`);
      else assert.ok(p.texts.some(({ text }) => text.length > 100), `${p.name} ships a license text`);
    }
  });

  it(`keeps ${NOTICES_FILE} as scripts/third-party-notices.ts generates it (regenerate with --write after a dependency change)`, () => {
    assert.equal(readFileSync(NOTICES_FILE, 'utf8'), noticesMarkdown(packages));
  });
});
