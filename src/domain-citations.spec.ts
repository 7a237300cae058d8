import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..');

/** The sections of docs/domain.md (`## 5. Fork`) by number, with their GitHub anchors. */
function sections(): Map<number, string> {
  const doc = readFileSync(join(ROOT, 'docs/domain.md'), 'utf8');
  const anchor = (title: string) =>
    title
      .toLowerCase()
      .replace(/[^a-z0-9 -]/g, '')
      .replace(/ /g, '-');
  return new Map([...doc.matchAll(/^## (\d+)\. (.+)$/gm)].map((m) => [Number(m[1]), anchor(`${m[1]}. ${m[2]}`)]));
}

/** Every line of the repository's code, tests, scripts and docs that mentions domain.md. */
function citingLines(): { where: string; line: string }[] {
  const lines: { where: string; line: string }[] = [];
  const files = ['src', 'libs', 'test', 'scripts', 'docs'].flatMap((dir) =>
    readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && /\.(ts|js|md|json|sql)$/.test(e.name))
      .map((e) => join(e.parentPath, e.name)),
  );
  for (const path of [...files, join(ROOT, 'README.md')]) {
    readFileSync(path, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (line.includes('domain.md')) lines.push({ where: `${relative(ROOT, path)}:${i + 1}`, line });
      });
  }
  return lines;
}

describe('citations of docs/domain.md', () => {
  const known = sections();
  const citing = citingLines().filter(({ where }) => !where.startsWith('src/domain-citations.spec.ts'));

  it('has numbered sections', () => {
    expect([...known.keys()]).toEqual([...Array(known.size).keys()].map((i) => i + 1));
    expect(known.size).toBeGreaterThanOrEqual(10);
  });

  it('name sections that exist (§N, and #anchors of links)', () => {
    expect(citing.length).toBeGreaterThan(50);
    const anchors = new Set(known.values());
    const broken = citing.flatMap(({ where, line }) => [
      ...[...line.matchAll(/§(\d+)/g)].filter((m) => !known.has(Number(m[1]))).map((m) => `${where} §${m[1]}`),
      ...[...line.matchAll(/domain\.md#([\w-]+)/g)].filter((m) => !anchors.has(m[1])).map((m) => `${where} #${m[1]}`),
    ]);
    expect(broken).toEqual([]);
  });
});
