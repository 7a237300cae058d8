import { summarizePlan } from './plan-summary';

describe(summarizePlan.name, () => {
  it('lists index scans of every kind and sequential scans, depth first', () => {
    const plan = [
      {
        Plan: {
          'Node Type': 'Nested Loop',
          'Total Cost': 42.5,
          'Plan Rows': 7,
          Plans: [
            {
              'Node Type': 'Bitmap Heap Scan',
              'Relation Name': 'postings',
              Plans: [{ 'Node Type': 'Bitmap Index Scan', 'Index Name': 'postings_account_idx' }],
            },
            { 'Node Type': 'Index Scan', 'Relation Name': 'transactions', 'Index Name': 'transactions_seq_key' },
            { 'Node Type': 'Index Only Scan', 'Relation Name': 'accounts', 'Index Name': 'accounts_pkey' },
            { 'Node Type': 'Seq Scan', 'Relation Name': 'users' },
          ],
        },
      },
    ];
    expect(summarizePlan(plan)).toEqual({
      totalCost: 42.5,
      estimatedRows: 7,
      indexScans: [
        { nodeType: 'Bitmap Index Scan', index: 'postings_account_idx', table: null },
        { nodeType: 'Index Scan', index: 'transactions_seq_key', table: 'transactions' },
        { nodeType: 'Index Only Scan', index: 'accounts_pkey', table: 'accounts' },
      ],
      seqScans: ['users'],
    });
  });

  it('refuses something that is not a JSON plan', () => {
    expect(() => summarizePlan([])).toThrow('not an EXPLAIN');
  });
});
