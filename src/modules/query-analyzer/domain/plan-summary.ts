/** One node of an `EXPLAIN (FORMAT JSON)` plan, as far as the summary reads it. */
export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Total Cost'?: number;
  'Plan Rows'?: number;
  Plans?: PlanNode[];
  [key: string]: unknown;
}

export interface IndexUse {
  /** Index Scan, Index Only Scan or Bitmap Index Scan. */
  nodeType: string;
  index: string;
  /** The table scanned through it (a bitmap index scan names only the index; its heap scan names the table). */
  table: string | null;
}

export interface PlanSummary {
  totalCost: number;
  estimatedRows: number;
  /** Every index the plan reads, in plan order. */
  indexScans: IndexUse[];
  /** Tables read whole (Seq Scan), in plan order. */
  seqScans: string[];
}

const INDEX_NODES = new Set(['Index Scan', 'Index Only Scan', 'Bitmap Index Scan']);

function* walk(node: PlanNode): Generator<PlanNode> {
  yield node;
  for (const child of node.Plans ?? []) yield* walk(child);
}

/** What a plan reads: its indexes and its sequential scans, for people and for the index test. */
export function summarizePlan(explain: unknown): PlanSummary {
  const root = (explain as { Plan: PlanNode }[])[0]?.Plan;
  if (!root) throw new Error('not an EXPLAIN (FORMAT JSON) result');
  const indexScans: IndexUse[] = [];
  const seqScans: string[] = [];
  for (const node of walk(root)) {
    const type = node['Node Type'];
    if (INDEX_NODES.has(type) && node['Index Name']) {
      indexScans.push({ nodeType: type, index: node['Index Name'], table: node['Relation Name'] ?? null });
    }
    if (type === 'Seq Scan' && node['Relation Name']) seqScans.push(node['Relation Name']);
  }
  return { totalCost: root['Total Cost'] ?? 0, estimatedRows: root['Plan Rows'] ?? 0, indexScans, seqScans };
}
