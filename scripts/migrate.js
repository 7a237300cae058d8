'use strict';
/**
 * `npm run migration:run`: applies pending migrations to DATABASE_URL with the same options the
 * service uses (the service does it at start only when DATABASE_MIGRATE=true).
 */
const { runMigrations } = require('../dist/src/database/data-source');

const url = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/alluse';

runMigrations({ url, statementTimeoutMs: 0 })
  .then((applied) => console.log(applied.length ? `applied: ${applied.join(', ')}` : 'nothing to apply'))
  .catch((error) => {
    console.error(error.message);
    process.exit(1);
  });
