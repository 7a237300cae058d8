import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Sink {
  /** Every JSON body received, in order, with the path it was posted to. */
  received: { path: string; body: any }[];
  /** `http://127.0.0.1:<port>`: post to any path under it. */
  base: string;
  close(): Promise<void>;
}

/** A local HTTP endpoint standing in for a webhook destination: records every JSON body and answers 200. */
export async function startSink(): Promise<Sink> {
  const received: Sink['received'] = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => (raw += chunk));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: JSON.parse(raw) });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { received, base, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
