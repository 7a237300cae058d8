import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Database functions whose current source is kept in this folder, as `<name>.sql`. */
export type SqlFunctionName = 'ledger_post';

/** Where a function's current source is (copied beside the compiled code by the build). */
export const sqlFunctionPath = (name: SqlFunctionName) => join(__dirname, `${name}.sql`);

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * A function's current source, for the migration that installs it, checked against the SHA-256
 * that migration was written for: a migration never installs a version it was not written for.
 * Changing the file therefore takes a new migration that loads it with the new hash; the
 * migration that loaded it before then keeps the text it installed in a string of its own, as the
 * initial migration keeps the first ledger_post.
 */
export function loadSqlFunction(name: SqlFunctionName, expectedSha256: string): string {
  // Line endings as committed, whatever a checkout did to them.
  const source = readFileSync(sqlFunctionPath(name), 'utf8').replace(/\r\n/g, '\n');
  const actual = sha256(source);
  if (actual !== expectedSha256) {
    throw new Error(
      `${name}.sql (sha256 ${actual}) is not the version its latest migration installs (${expectedSha256}): ` +
        'a change to the function needs a migration of its own',
    );
  }
  return source;
}
