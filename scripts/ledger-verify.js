'use strict';
/**
 * `npm run ledger:verify`: checks the ledger's invariants in DATABASE_URL with the very checks the
 * service runs (docs/ledger.md, Verification), in one read-only snapshot and without a statement
 * timeout. Prints each check's count, then what is wrong, row by row. Exits 0 when the ledger is
 * sound, 1 when a check found something, 2 when it could not check.
 *   npm run ledger:verify [-- --limit N]   (lists at most N violations, 1000 by default; counts are complete)
 */
const { Client } = require('pg');
const {
  describeViolation,
  pgQuery,
  verifyLedgerInSnapshot,
} = require('../dist/src/modules/transactions/ledger-verification/ledger-checks');

const url = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/alluse';
const limitAt = process.argv.indexOf('--limit');
const limit = limitAt > 0 ? Number(process.argv[limitAt + 1]) : 1000;

async function main() {
  if (!Number.isInteger(limit) || limit < 1) throw new Error('--limit must be a whole number of at least 1');
  const client = new Client({ connectionString: url, application_name: 'alluse-ledger-verify' });
  await client.connect();
  try {
    const result = await verifyLedgerInSnapshot(pgQuery(client), { limit, statementTimeoutMs: 0 });
    // The database's name only: the URL may hold a password.
    console.log(`ledger verification of ${new URL(url).pathname.slice(1)} at ${result.checkedAt}`);
    const width = Math.max(...result.checks.map((c) => c.name.length));
    for (const check of result.checks) console.log(`  ${check.name.padEnd(width)}  ${check.violations}`);
    for (const violation of result.violations) console.log(describeViolation(violation));
    const total = result.checks.reduce((sum, c) => sum + c.violations, 0);
    if (total > result.violations.length) console.log(`… and ${total - result.violations.length} more (--limit)`);
    console.log(result.ok ? 'sound: every check holds' : `NOT SOUND: ${total} violation(s)`);
    return result.ok ? 0 : 1;
  } finally {
    await client.end();
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`ledger verification could not run: ${error.message}`);
    process.exit(2);
  },
);
