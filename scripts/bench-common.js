'use strict';
/** What the benchmark scripts share: the admin database connection and waiting for the service. */
const { Client } = require('pg');

const ADMIN_URL = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

/** The URL of database `name` on the admin connection's server. */
const databaseUrl = (name) => Object.assign(new URL(ADMIN_URL), { pathname: `/${name}` }).toString();

/** Runs one statement on the admin connection (CREATE / DROP DATABASE). */
async function adminQuery(sql) {
  const client = new Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Waits until the service at `base` answers its readiness probe (30 s at most). */
async function waitReady(base) {
  for (let i = 0; i < 120; i++) {
    try {
      if ((await fetch(`${base}/health/ready`)).ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('the service did not become ready');
}

module.exports = { adminQuery, databaseUrl, waitReady };
