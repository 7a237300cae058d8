import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/**
 * The Prometheus and Alertmanager files, checked by the real tools (`npm test` installs them as
 * root; docs/alerting.md): the rules parse, their unit tests pass, the configurations load.
 */
const root = join(__dirname, '..');
const RULES = 'docker/prometheus/alerts.yml';
const RULE_TESTS = 'docker/prometheus/alerts.test.yml';

function run(command: string, args: string[]) {
  const result = spawnSync(command, args, { cwd: root, encoding: 'utf8', timeout: 60_000 });
  if (result.error) {
    throw new Error(
      `${command} could not be run (${result.error.message}): install it with ` +
        '`apt-get install -y prometheus prometheus-alertmanager`, or run `npm test` as root',
    );
  }
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const alerts = (parse(readFileSync(join(root, RULES), 'utf8')) as { groups: { rules: Rule[] }[] }).groups
  .flatMap((g) => g.rules)
  .filter((r): r is Rule & { alert: string } => r.alert !== undefined);

describe('alert rules and Alertmanager configuration (promtool, amtool)', () => {
  it.each([
    ['promtool check rules', 'promtool', ['check', 'rules', RULES]],
    ['promtool test rules', 'promtool', ['test', 'rules', RULE_TESTS]],
    ['promtool check config', 'promtool', ['check', 'config', 'docker/prometheus/prometheus.yml']],
    ['amtool check-config', 'amtool', ['check-config', 'docker/alertmanager/alertmanager.yml']],
  ])('%s succeeds', (_name, command, args) => {
    const { status, output } = run(command, args);
    expect({ status, output }).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
  });

  it.each(alerts.map((a) => [a.alert, a] as const))(
    '%s has a severity, a summary, a description, a runbook and a runbook_url to its section of docs/alerting.md',
    (name, rule) => {
      expect(['critical', 'warning', 'info']).toContain(rule.labels?.severity);
      for (const key of ['summary', 'description', 'runbook'])
        expect(rule.annotations?.[key]).toEqual(expect.any(String));
      expect(rule.annotations?.runbook).not.toContain('\n');
      expect(rule.annotations?.runbook_url).toBe(`docs/alerting.md#${name.toLowerCase()}`);
      const docs = readFileSync(join(root, 'docs/alerting.md'), 'utf8');
      expect(docs).toMatch(new RegExp(`^#{2,4} ${name}$`, 'm')); // GitHub's anchor of that heading is the lowercased name
    },
  );

  it('tests every alert both firing and staying quiet', () => {
    const tests = (
      parse(readFileSync(join(root, RULE_TESTS), 'utf8')) as {
        tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
      }
    ).tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const { alert } of alerts) {
      const cases = tests.filter((t) => t.alertname === alert);
      expect({ alert, fires: cases.some((c) => (c.exp_alerts ?? []).length > 0) }).toEqual({ alert, fires: true });
      expect({ alert, quiet: cases.some((c) => (c.exp_alerts ?? []).length === 0) }).toEqual({ alert, quiet: true });
    }
  });
});
