import { literalVerdict, normalHost, parseAllowList, pickAddress } from './outbound-policy';

const NONE = parseAllowList('');

describe('outbound policy', () => {
  /** What the WHATWG URL parser makes of a host before the policy sees it. */
  const hostOf = (url: string) => normalHost(new URL(url).hostname);

  it.each([
    ['http://127.0.0.1/', '127.0.0.1'],
    ['http://0x7f000001/', '127.0.0.1'],
    ['http://2130706433/', '127.0.0.1'],
    ['http://0177.0.0.1/', '127.0.0.1'],
    ['http://127.1/', '127.0.0.1'],
    ['http://0/', '0.0.0.0'],
    ['http://[::ffff:127.0.0.1]/', '::ffff:7f00:1'],
    ['http://[::1]:8080/', '::1'],
    ['http://169.254.169.254./latest/meta-data', '169.254.169.254'],
    ['http://LOCALHOST./', 'localhost'],
  ])('reads the host of %s as %s', (url, host) => {
    expect(hostOf(url)).toBe(host);
  });

  it.each([
    ['http://127.0.0.1:9000/hook', 'loopback'],
    ['http://0x7f000001/', 'loopback'],
    ['http://2130706433/', 'loopback'],
    ['http://0177.0.0.1/', 'loopback'],
    ['http://0.0.0.0/', 'unspecified'],
    ['http://10.0.0.5/', 'private'],
    ['http://192.168.0.1/', 'private'],
    ['http://169.254.169.254/latest/meta-data/', 'link-local'],
    ['http://[::1]/', 'loopback'],
    ['http://[::ffff:127.0.0.1]/', 'loopback'],
    ['http://[::ffff:169.254.169.254]/', 'link-local'],
    ['http://[fd00:ec2::254]/', 'private'],
    ['http://[fe80::1]/', 'link-local'],
    ['http://224.0.0.1/', 'multicast'],
  ])('refuses %s (a %s address)', (url, scope) => {
    const verdict = literalVerdict(new URL(url).hostname, NONE);
    expect(verdict).toMatchObject({ allowed: false });
    expect(verdict?.allowed === false && verdict.reason).toContain(`a ${scope} address`);
  });

  it.each(['http://93.184.215.14/', 'http://[2606:4700:4700::1111]/', 'http://[::ffff:8.8.8.8]/'])(
    'lets %s through',
    (url) => {
      expect(literalVerdict(new URL(url).hostname, NONE)).toMatchObject({ allowed: true });
    },
  );

  it('has no verdict on a host name until it is resolved', () => {
    expect(literalVerdict('hooks.example.com', NONE)).toBeUndefined();
  });

  it.each([
    ['127.0.0.1', 'http://127.0.0.1:9000/', true],
    ['127.0.0.1', 'http://[::ffff:127.0.0.1]/', true], // the mapped form is the same address
    ['127.0.0.1', 'http://127.0.0.2/', false],
    ['127.0.0.0/8', 'http://127.0.0.2/', true],
    ['10.0.0.0/8, 192.168.1.10', 'http://192.168.1.10/', true],
    ['10.0.0.0/8, 192.168.1.10', 'http://192.168.1.11/', false],
    ['::1', 'http://[::1]/', true],
    ['::1', 'http://127.0.0.1/', false],
  ])('OUTBOUND_ALLOW=%s: %s allowed is %p', (allow, url, allowed) => {
    expect(literalVerdict(new URL(url).hostname, parseAllowList(allow))?.allowed).toBe(allowed);
  });

  describe('choosing among resolved addresses', () => {
    it.each([
      ['hooks.example.com', ['93.184.215.14'], NONE, '93.184.215.14'],
      ['hooks.example.com', ['127.0.0.1', '93.184.215.14'], NONE, '93.184.215.14'],
      ['localhost', ['127.0.0.1', '::1'], parseAllowList('::1'), '::1'],
      ['internal.example', ['10.1.2.3'], parseAllowList('Internal.Example.'), '10.1.2.3'],
      ['hook.internal', ['fe80::1%eth0'], parseAllowList('fe80::/10'), 'fe80::1'],
    ])('%s resolving to %p connects to %s', (host, addresses, allow, address) => {
      expect(pickAddress(host, addresses, allow)).toEqual({ allowed: true, address });
    });

    it.each([
      ['localhost', ['127.0.0.1', '::1'], 'localhost: 127.0.0.1 is a loopback address, ::1 is a loopback address'],
      ['rebind.example', ['169.254.169.254'], 'rebind.example: 169.254.169.254 is a link-local address'],
      ['empty.example', [], 'empty.example resolves to no address'],
    ])('refuses %s resolving to %p', (host, addresses, reason) => {
      const verdict = pickAddress(host, addresses, NONE);
      expect(verdict.allowed).toBe(false);
      expect(verdict.allowed === false && verdict.reason).toContain(reason);
    });
  });

  it('reads OUTBOUND_ALLOW into host names and networks', () => {
    const list = parseAllowList(' hooks.internal , 127.0.0.1,10.0.0.0/8 ,, fc00::/7 ');
    expect(list.hosts).toEqual(['hooks.internal']);
    expect(list.networks.map((n) => `${n.family}/${n.prefix}`)).toEqual(['4/32', '4/8', '6/7']);
  });

  it.each(['10.0.0.0/33', 'http://hooks.internal', 'hooks internal', '300.1.1.1', '-bad.example'])(
    'refuses the OUTBOUND_ALLOW entry %p',
    (entry) => {
      expect(() => parseAllowList(entry)).toThrow(`"${entry}"`);
    },
  );
});
