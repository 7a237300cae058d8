import { statementVerb } from './statement-verb';

describe(statementVerb.name, () => {
  it.each([
    ['SELECT 1', 'select'],
    ['  select * from accounts where id = $1 FOR UPDATE', 'select'],
    ['\n\tINSERT INTO audit_log (id) VALUES ($1)', 'insert'],
    ['UPDATE accounts SET cash = cash + $1', 'update'],
    ['DELETE FROM import_line_keys', 'delete'],
    ['CALL refresh_something()', 'call'],
    ['SELECT ledger_post($1::jsonb)', 'select'],
    ['BEGIN', 'transaction'],
    ['START TRANSACTION', 'transaction'],
    ['COMMIT', 'transaction'],
    ['ROLLBACK', 'transaction'],
    ['SAVEPOINT typeorm_1', 'transaction'],
    ['RELEASE SAVEPOINT typeorm_1', 'transaction'],
    ['ROLLBACK TO SAVEPOINT typeorm_1', 'transaction'],
    ['SET TRANSACTION ISOLATION LEVEL SERIALIZABLE', 'other'],
    ['SHOW server_version', 'other'],
    ['EXPLAIN SELECT 1', 'other'],
    ['CREATE TABLE x (id int)', 'other'],
    ['', 'other'],
    ['   ', 'other'],
    ['-- a comment\nSELECT 1', 'select'],
    ['/* a block\n comment */ update t set a = 1', 'update'],
    ['(SELECT 1) UNION (SELECT 2)', 'select'],
    ['SELECTED', 'other'],
  ])('labels %j as %s', (sql, verb) => {
    expect(statementVerb(sql)).toBe(verb);
  });

  it.each([
    ['WITH a AS (SELECT 1) SELECT * FROM a', 'select'],
    ['WITH a AS (SELECT 1 FROM t), b AS (DELETE FROM u RETURNING 1) INSERT INTO v SELECT * FROM a', 'insert'],
    ['WITH RECURSIVE tree(id, parent) AS (SELECT id, parent FROM units) UPDATE units SET x = 1', 'update'],
    ['with a as (select \')\' as p, "select" from t) delete from t using a', 'delete'],
    ['WITH a AS MATERIALIZED (SELECT 1) -- select\nSELECT 2', 'select'],
    ['WITH a AS (SELECT 1) /* insert */ SELECT 2', 'select'],
    ['WITH updated_rows AS (UPDATE t SET a = 1 RETURNING *) SELECT count(*) FROM updated_rows', 'select'],
    ['WITH broken AS (SELECT 1', 'other'],
  ])('labels the CTE %j by its main statement: %s', (sql, verb) => {
    expect(statementVerb(sql)).toBe(verb);
  });
});
