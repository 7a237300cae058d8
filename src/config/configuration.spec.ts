import { alertsConfig, appConfig, authConfig, EnvError, metricsConfig, outboundConfig } from './configuration';

/** Runs a namespace's loader with `env` on top of the process environment (then puts it back). */
function load<T>(loader: () => T, env: Record<string, string>): T {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    return loader();
  } finally {
    process.env = saved;
  }
}

const refusal = (loader: () => unknown, env: Record<string, string>) => {
  try {
    load(loader, env);
  } catch (error) {
    if (error instanceof EnvError) return error.message;
    throw error;
  }
  return undefined;
};

describe('configuration of the network edge', () => {
  describe('OUTBOUND_ALLOW and operator webhook URLs', () => {
    it('reads host names, addresses and networks', () => {
      const { allow } = load(outboundConfig, { OUTBOUND_ALLOW: 'hooks.internal,127.0.0.1,10.0.0.0/8' });
      expect(allow.hosts).toEqual(['hooks.internal']);
      expect(allow.networks).toHaveLength(2);
    });

    it('names the variable and the bad entry', () => {
      expect(refusal(outboundConfig, { OUTBOUND_ALLOW: '127.0.0.1,10.0.0.0/40' })).toBe(
        'OUTBOUND_ALLOW: "10.0.0.0/40" is neither a host name, an IP address nor a network (CIDR)',
      );
    });

    it.each([
      ['ALERTS_NOTIFY_WEBHOOK_URL', 'http://127.0.0.1:9093/hook', 'loopback'],
      ['ALERTS_NOTIFY_SLACK_URL', 'http://169.254.169.254/latest', 'link-local'],
      ['ALERTS_NOTIFY_WEBHOOK_URL', 'http://[::ffff:10.0.0.1]/', 'private'],
    ])('refuses %s=%s (a %s address) unless OUTBOUND_ALLOW lists it', (name, url, scope) => {
      expect(refusal(alertsConfig, { [name]: url, OUTBOUND_ALLOW: '' })).toMatch(
        new RegExp(`^${name} is refused: .* is a ${scope} address, and OUTBOUND_ALLOW does not list it$`),
      );
      expect(refusal(alertsConfig, { [name]: url, OUTBOUND_ALLOW: '0.0.0.0/0,::/0' })).toBeUndefined();
    });

    it('leaves a webhook host name to be checked at each call', () => {
      expect(load(alertsConfig, { ALERTS_NOTIFY_WEBHOOK_URL: 'https://hooks.example.com/x' }).notifyWebhookUrl).toBe(
        'https://hooks.example.com/x',
      );
    });
  });

  describe('TRUST_PROXY', () => {
    it.each([
      ['', false],
      ['false', false],
      ['0', false],
      ['1', 1],
      ['2', 2],
      ['10.0.0.0/8', ['10.0.0.0/8']],
      ['127.0.0.1, 10.1.2.3 ,fd00::/8', ['127.0.0.1', '10.1.2.3', 'fd00::/8']],
      ['loopback,uniquelocal', ['loopback', 'uniquelocal']],
    ])('reads %p as %p', (raw, expected) => {
      expect(load(appConfig, { TRUST_PROXY: raw }).trustProxy).toEqual(expected);
    });

    it.each(['true', 'proxy.internal', '10.0.0.0/33', '65'])('refuses %p', (raw) => {
      expect(refusal(appConfig, { TRUST_PROXY: raw })).toMatch(/^TRUST_PROXY must be/);
    });
  });

  describe('CORS_ORIGINS', () => {
    it.each([
      ['', [], false],
      ['https://app.example.com', ['https://app.example.com'], false],
      ['https://app.example.com/, http://localhost:5173', ['https://app.example.com', 'http://localhost:5173'], false],
      ['*', ['*'], false],
    ])('reads %p', (raw, origins, credentials) => {
      expect(load(appConfig, { CORS_ORIGINS: raw })).toMatchObject({
        corsOrigins: origins,
        corsCredentials: credentials,
      });
    });

    it.each([
      [
        { CORS_ORIGINS: '*', CORS_CREDENTIALS: 'true' },
        'CORS_ORIGINS=* cannot go with CORS_CREDENTIALS=true: list the origins',
      ],
      [{ CORS_ORIGINS: '*,https://a.example' }, 'CORS_ORIGINS is either * alone or a list of origins'],
      [
        { CORS_ORIGINS: 'app.example.com' },
        'CORS_ORIGINS must list origins such as https://app.example.com, got "app.example.com"',
      ],
      [
        { CORS_ORIGINS: 'https://a.example/app' },
        'CORS_ORIGINS must list origins such as https://app.example.com, got "https://a.example/app"',
      ],
    ])('refuses %p', (env, message) => {
      expect(refusal(appConfig, env)).toBe(message);
    });
  });

  it('reads the auth failure budget, the key cache and METRICS_PORT', () => {
    expect(load(authConfig, { AUTH_FAILURE_LIMIT: '5', AUTH_FAILURE_WINDOW_MS: '2000' })).toMatchObject({
      failureLimit: 5,
      failureWindowMs: 2000,
      keyCacheTtlMs: 5000,
    });
    expect(refusal(authConfig, { AUTH_FAILURE_LIMIT: '0' })).toBe(
      'AUTH_FAILURE_LIMIT must be between 1 and 1000000, got 0',
    );
    expect(load(metricsConfig, { METRICS_PORT: '9465' }).port).toBe(9465);
    expect(load(metricsConfig, { METRICS_PORT: '' }).port).toBe(0);
  });
});
