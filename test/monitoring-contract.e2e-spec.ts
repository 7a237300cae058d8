import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix, relative } from 'node:path';
import { parse } from 'yaml';
import { freePort, startTestApp, TestApp } from '@app/testing';

/**
 * The contract between /metrics and what reads it: every `alluse_` metric named by a Grafana
 * dashboard (docker/grafana) or a Prometheus rule file (docker/prometheus/*.yml) is one the service
 * exports; and the dashboards and their provisioning are well formed (Grafana itself does not run here).
 */
const ROOT = join(__dirname, '..');
const GRAFANA = join(ROOT, 'docker/grafana');
const DASHBOARDS = join(GRAFANA, 'dashboards');
const PROMETHEUS = join(ROOT, 'docker/prometheus');
/** Where docs/dashboards.md mounts docker/grafana/dashboards in the Grafana container. */
const DASHBOARDS_MOUNT = '/var/lib/grafana/dashboards';

function filesUnder(dir: string, suffix: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith(suffix))
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile())
    .sort();
}

const where = (path: string) => relative(ROOT, path);

/** Metric names an expression refers to (string literals, e.g. label values, left out). */
function metricNames(expr: string): string[] {
  const code = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');
  return [...new Set(code.match(/(?<![A-Za-z0-9_:])alluse_[A-Za-z0-9_]+/g) ?? [])];
}

/** Names a scrape of /metrics provides: each `# TYPE`, plus the series of histograms and summaries. */
function exportedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
    if (type === 'summary') for (const s of ['_sum', '_count']) names.add(name + s);
  }
  return names;
}

interface Panel {
  id?: number;
  type: string;
  title?: string;
  datasource?: { type?: string; uid?: string } | string | null;
  targets?: { refId?: string; expr?: string }[];
  fieldConfig?: { defaults?: { unit?: string } };
  gridPos?: { h: number; w: number; x: number; y: number };
  panels?: Panel[];
}

interface Dashboard {
  uid?: string;
  title?: string;
  schemaVersion?: number;
  panels?: Panel[];
  templating?: { list?: { name: string; type: string; query?: unknown; definition?: string }[] };
}

const dashboardFiles = filesUnder(GRAFANA, '.json');
const dashboards = dashboardFiles.map((path) => ({ path, json: JSON.parse(readFileSync(path, 'utf8')) as Dashboard }));

/** Every panel, those inside collapsed rows included. */
const panelsOf = (d: Dashboard): Panel[] => (d.panels ?? []).flatMap((p) => [p, ...(p.panels ?? [])]);
const isRow = (p: Panel) => p.type === 'row';

/** Prometheus rule files (groups of rules); promtool test files (*.test.yml) and configs are left out. */
const ruleFiles = filesUnder(PROMETHEUS, '.yml')
  .concat(filesUnder(PROMETHEUS, '.yaml'))
  .filter((path) => !/\.test\.ya?ml$/.test(path))
  .map((path) => ({ path, doc: parse(readFileSync(path, 'utf8')) as { groups?: unknown } | null }))
  .filter((f): f is { path: string; doc: { groups: { name: string; rules?: Record<string, unknown>[] }[] } } =>
    Array.isArray(f.doc?.groups),
  );

/**
 * Every expression naming metrics, with where it is (file, panel or rule); `promql` is false for
 * Grafana's own variable queries (label_values(…)), which Prometheus does not parse.
 */
function expressions(): { expr: string; at: string; promql: boolean }[] {
  const out: { expr: string; at: string; promql: boolean }[] = [];
  for (const { path, json } of dashboards) {
    for (const panel of panelsOf(json)) {
      for (const t of panel.targets ?? []) {
        if (t.expr) out.push({ expr: t.expr, at: `${where(path)} panel "${panel.title}" (${t.refId})`, promql: true });
      }
    }
    for (const v of json.templating?.list ?? []) {
      if (v.type === 'query' && v.definition) {
        out.push({ expr: v.definition, at: `${where(path)} variable ${v.name}`, promql: false });
      }
    }
  }
  for (const { path, doc } of ruleFiles) {
    for (const group of doc.groups) {
      for (const rule of group.rules ?? []) {
        const name = rule.alert ?? rule.record;
        if (typeof rule.expr === 'string') {
          out.push({ expr: rule.expr, at: `${where(path)} ${group.name}/${String(name)}`, promql: true });
        }
      }
    }
  }
  return out;
}

describe('monitoring contract: dashboards and alert rules name exported metrics (e2e)', () => {
  let t: TestApp;
  let exported: Set<string>;

  beforeAll(async () => {
    // Everything is on the metrics port (the public /metrics leaves money totals out).
    const metricsPort = await freePort();
    t = await startTestApp('contract', {
      env: { TASKS_RUN_WORKERS: 'false', GROWTH_SCHEDULES_ENABLED: 'false', METRICS_PORT: String(metricsPort) },
    });
    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(res.status).toBe(200);
    exported = exportedNames(await res.text());
  });
  afterAll(() => t.close());

  it('reads /metrics: the catalog and the Node process metrics', () => {
    expect(exported).toContain('alluse_http_request_duration_seconds_bucket');
    expect(exported).toContain('alluse_ledger_amount_cents_total');
    expect(exported).toContain('alluse_process_cpu_seconds_total');
  });

  it('has dashboards to check', () => {
    expect(dashboards.length).toBeGreaterThan(0);
  });

  it('every alluse_ metric a dashboard or a rule file names is exported', () => {
    // Recording rules (alluse:… by convention) are made by Prometheus, not exported: allowed by name.
    const recorded = new Set(
      ruleFiles.flatMap(({ doc }) => doc.groups.flatMap((g) => (g.rules ?? []).map((r) => r.record))),
    );
    const missing = expressions().flatMap(({ expr, at }) =>
      metricNames(expr)
        .filter((name) => !exported.has(name) && !recorded.has(name))
        .map((name) => `${name} (in ${at})`),
    );
    if (missing.length) {
      throw new Error(`metrics named but not exported by /metrics:\n  ${[...new Set(missing)].join('\n  ')}`);
    }
    expect(expressions().length).toBeGreaterThan(0);
  });

  it('every dashboard is well formed: unique uid, a datasource and a PromQL target on every panel, units set', () => {
    const problems: string[] = [];
    const uids = new Map<string, string>();
    for (const { path, json } of dashboards) {
      const at = where(path);
      if (!json.uid || !/^[A-Za-z0-9_-]{1,40}$/.test(json.uid)) problems.push(`${at}: uid missing or invalid`);
      else if (uids.has(json.uid)) problems.push(`${at}: uid ${json.uid} already used by ${uids.get(json.uid)}`);
      else uids.set(json.uid, at);
      if (!json.title) problems.push(`${at}: no title`);
      if (typeof json.schemaVersion !== 'number' || json.schemaVersion < 36) problems.push(`${at}: schemaVersion`);
      const variables = json.templating?.list ?? [];
      const ds = variables.find((v) => v.name === 'datasource');
      if (ds?.type !== 'datasource' || ds.query !== 'prometheus') {
        problems.push(`${at}: no "datasource" variable of Prometheus data sources`);
      }
      const panels = panelsOf(json);
      if (!panels.some((p) => !isRow(p))) problems.push(`${at}: no panels`);
      const ids = new Set<number>();
      for (const panel of panels) {
        const name = `${at} panel "${panel.title ?? panel.id}"`;
        if (typeof panel.id !== 'number' || ids.has(panel.id)) problems.push(`${name}: missing or repeated id`);
        else ids.add(panel.id);
        if (!panel.gridPos) problems.push(`${name}: no gridPos`);
        if (isRow(panel)) continue;
        if (!panel.title) problems.push(`${name}: no title`);
        const source = typeof panel.datasource === 'string' ? panel.datasource : panel.datasource?.uid;
        if (!source) problems.push(`${name}: no datasource`);
        const targets = panel.targets ?? [];
        if (!targets.some((target) => typeof target.expr === 'string' && target.expr.trim())) {
          problems.push(`${name}: no target with an expr`);
        }
        const refIds = targets.map((target) => target.refId);
        if (new Set(refIds).size !== refIds.length || refIds.some((r) => !r)) problems.push(`${name}: refIds`);
        if (!panel.fieldConfig?.defaults?.unit) problems.push(`${name}: no unit`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('every expression parses as PromQL (promtool check rules)', () => {
    // Grafana's variables and macros become what Prometheus would receive.
    const grafanaFree = (expr: string) =>
      expr.replace(/\$__rate_interval|\$__interval|\$__range/g, '5m').replace(/\$\{?instance\}?/g, '.*');
    const rules = expressions()
      .filter((e) => e.promql)
      .map(({ expr, at }, i) => ({
        record: `contract:expr_${i}`,
        expr: grafanaFree(expr),
        at,
      }));
    const dir = mkdtempSync(join(tmpdir(), 'alluse-contract-'));
    try {
      const file = join(dir, 'rules.yml');
      writeFileSync(
        file,
        JSON.stringify({ groups: [{ name: 'contract', rules: rules.map(({ record, expr }) => ({ record, expr })) }] }),
      );
      try {
        execFileSync('promtool', ['check', 'rules', file], { encoding: 'utf8', stdio: 'pipe' });
      } catch (error) {
        const output = `${(error as { stdout?: string }).stdout ?? ''}${(error as { stderr?: string }).stderr ?? ''}`;
        const bad = [...output.matchAll(/contract:expr_(\d+)|group 0, rule (\d+)/g)].map((m) => Number(m[1] ?? m[2]));
        throw new Error(
          `promtool (from the prometheus package) refused expressions:\n${output}\n` +
            bad.map((i) => `  ${rules[i]?.at}: ${rules[i]?.expr}`).join('\n'),
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('provisioning points at the dashboards folder and a Prometheus data source', () => {
    const providers = filesUnder(join(GRAFANA, 'provisioning/dashboards'), '.yml').flatMap(
      (path) =>
        (parse(readFileSync(path, 'utf8')) as { providers?: { type: string; options?: { path?: string } }[] })
          .providers ?? [],
    );
    expect(providers.length).toBeGreaterThan(0);
    for (const provider of providers) {
      expect(provider.type).toBe('file');
      const path = provider.options?.path ?? '';
      expect(path.startsWith(`${DASHBOARDS_MOUNT}/`)).toBe(true);
      // The container path maps to docker/grafana/dashboards/<the rest>, which must hold dashboards.
      const folder = join(DASHBOARDS, posix.relative(`${DASHBOARDS_MOUNT}/alluse`, path));
      expect({ path, exists: existsSync(folder) }).toEqual({ path, exists: true });
      expect(filesUnder(folder, '.json').length).toBeGreaterThan(0);
    }
    const datasources = filesUnder(join(GRAFANA, 'provisioning/datasources'), '.yml').flatMap(
      (path) =>
        (parse(readFileSync(path, 'utf8')) as { datasources?: { type: string; url?: string }[] }).datasources ?? [],
    );
    expect(datasources.filter((d) => d.type === 'prometheus' && d.url).length).toBeGreaterThan(0);
  });
});
