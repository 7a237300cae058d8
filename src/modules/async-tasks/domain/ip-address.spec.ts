import { addressScope, inNetwork, parseIp, parseNetwork, unmapped } from './ip-address';

const scopeOf = (text: string) => {
  const ip = parseIp(text);
  if (!ip) throw new Error(`${text} did not parse`);
  return addressScope(ip);
};

describe('IP addresses', () => {
  it.each([
    // IPv4
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['100.64.0.1', 'private'],
    ['100.127.255.254', 'private'],
    ['100.128.0.1', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['172.15.255.255', 'public'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['192.0.0.8', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['192.88.99.1', 'reserved'],
    ['192.167.255.255', 'public'],
    ['192.168.1.1', 'private'],
    ['198.18.0.1', 'reserved'],
    ['198.19.255.255', 'reserved'],
    ['198.51.100.7', 'reserved'],
    ['203.0.113.9', 'reserved'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['1.1.1.1', 'public'],
    ['8.8.8.8', 'public'],
    ['93.184.215.14', 'public'],
    // IPv6
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['::7f00:1', 'reserved'], // IPv4-compatible (deprecated)
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['[::ffff:127.0.0.1]', 'loopback'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:10.1.2.3', 'private'],
    ['::ffff:8.8.8.8', 'public'],
    ['::ffff:0:127.0.0.1', 'loopback'], // IPv4-translated
    ['64:ff9b::127.0.0.1', 'loopback'], // NAT64
    ['64:ff9b::808:808', 'public'],
    ['64:ff9b:1::1', 'private'],
    ['2002:7f00:1::', 'loopback'], // 6to4 of 127.0.0.1
    ['2002:0808:0808::1', 'public'],
    ['100::1', 'reserved'],
    ['2001::1', 'reserved'], // Teredo
    ['2001:db8::1', 'reserved'],
    ['3fff::1', 'reserved'],
    ['fc00::1', 'private'],
    ['fd00:ec2::254', 'private'], // the AWS metadata service over IPv6
    ['fdff:ffff::1', 'private'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf::1', 'link-local'],
    ['fec0::1', 'private'],
    ['ff02::1', 'multicast'],
    ['2606:4700:4700::1111', 'public'],
    ['2a00:1450:4001:80b::200e', 'public'],
  ])('%s leads to a %s address', (text, scope) => {
    expect(scopeOf(text)).toBe(scope);
  });

  it.each([
    '',
    'localhost',
    '127.0.0',
    '127.0.0.1.1',
    '256.0.0.1',
    '0177.0.0.1', // octal: the URL parser normalises it first; here it is no address
    '0x7f000001',
    '2130706433',
    '1.2.3.-4',
    ':::1',
    '1::2::3',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '::12345',
    '::ffff:300.0.0.1',
    'g::1',
  ])('does not take %p for an address', (text) => {
    expect(parseIp(text)).toBeUndefined();
  });

  it('reads every form of one address as the same number', () => {
    const forms = ['::ffff:127.0.0.1', '::ffff:7f00:1', '0:0:0:0:0:ffff:7f00:0001', '[::FFFF:7F00:1]'];
    const values = forms.map((f) => parseIp(f)?.value);
    expect(new Set(values).size).toBe(1);
    expect(unmapped(parseIp(forms[0])!)).toEqual(parseIp('127.0.0.1'));
    expect(unmapped(parseIp('::1')!)).toEqual(parseIp('::1'));
  });

  it.each([
    ['10.0.0.0/8', '10.20.30.40', true],
    ['10.0.0.0/8', '11.0.0.1', false],
    ['10.1.2.3/8', '10.200.0.1', true], // host bits of the base are ignored
    ['127.0.0.1', '127.0.0.1', true],
    ['127.0.0.1', '127.0.0.2', false],
    ['0.0.0.0/0', '8.8.8.8', true],
    ['0.0.0.0/0', '::1', false], // families never match each other
    ['fc00::/7', 'fd12:3456::1', true],
    ['fc00::/7', 'fe80::1', false],
    ['::1/128', '::1', true],
  ])('network %s contains %s: %p', (network, address, expected) => {
    expect(inNetwork(parseIp(address)!, parseNetwork(network)!)).toBe(expected);
  });

  it.each(['10.0.0.0/33', '::/129', '10.0.0.0/', '10.0.0.0/8/8', 'example.com/8', '10.0.0.0/x'])(
    'refuses the network %p',
    (text) => {
      expect(parseNetwork(text)).toBeUndefined();
    },
  );
});
