import { buildTree, type TreeAccount, type TreeUnit } from './tree';

const acc = (id: string, type: TreeAccount['type'], value: bigint): TreeAccount => ({
  id,
  type,
  status: 'ACTIVE',
  value,
});
const unit = (
  id: string,
  parentAccountId: string,
  parentUnitId: string | null,
  gen: bigint,
  com: bigint,
): TreeUnit => ({
  id,
  status: 'ACTIVE',
  parentAccountId,
  parentUnitId,
  amount: gen + com,
  createdAt: new Date(0),
  gen: acc(`${id}-gen`, 'GEN', gen),
  com: acc(`${id}-com`, 'COM', com),
});

describe(buildTree.name, () => {
  const roots = [acc('gen', 'GEN', 100n), acc('rev', 'REV', 75n), acc('com', 'COM', 75n)];

  it('is just the root accounts before any fork', () => {
    expect(buildTree(roots, [])).toEqual({ roots: roots.map((account) => ({ account, units: [] })) });
  });

  it('hangs units under the root GEN and child units under their parent unit, oldest first', () => {
    const tree = buildTree(roots, [
      unit('u1', 'gen', null, 10n, 10n),
      unit('u2', 'u1-gen', 'u1', 5n, 5n),
      unit('u3', 'gen', null, 20n, 20n),
      unit('u4', 'u1-gen', 'u1', 7n, 6n),
      unit('u5', 'u2-gen', 'u2', 1n, 1n),
    ]);
    const [gen, rev, com] = tree.roots;
    expect(rev.units).toEqual([]);
    expect(com.units).toEqual([]);
    expect(gen.units.map((u) => u.id)).toEqual(['u1', 'u3']);
    expect(gen.units[0].children.map((u) => u.id)).toEqual(['u2', 'u4']);
    expect(gen.units[0].children[0].children.map((u) => u.id)).toEqual(['u5']);
    expect(gen.units[0].children[1].value).toBe(13n); // its GEN + its COM, children not included
  });

  it('keeps a merged unit in place with its (still active) children', () => {
    const merged = { ...unit('u1', 'gen', null, 0n, 0n), status: 'MERGED' as const };
    const tree = buildTree(roots, [merged, unit('u2', 'u1-gen', 'u1', 3n, 3n)]);
    expect(tree.roots[0].units[0]).toMatchObject({ status: 'MERGED', value: 0n });
    expect(tree.roots[0].units[0].children[0]).toMatchObject({ id: 'u2', status: 'ACTIVE' });
  });
});
