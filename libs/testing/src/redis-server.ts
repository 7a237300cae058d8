import { spawn, type ChildProcess } from 'node:child_process';
import { eventually } from './eventually';
import { freePort } from './ports';

/** A redis-server of a spec's own, which the spec may kill and start again (never the shared one). */
export interface RedisServer {
  url: string;
  /** Starts it (again) on its port and waits until it answers PING. */
  start(): Promise<void>;
  /** Kills it (SIGKILL: no goodbye to its clients) and waits for it to exit. */
  stop(): Promise<void>;
}

export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const server: RedisServer = {
    url: `redis://127.0.0.1:${port}`,
    async start() {
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
      child = spawn('redis-server', args, { stdio: 'ignore' });
      await eventually(async () => {
        const probe = spawn('redis-cli', ['-p', String(port), 'ping'], { stdio: 'ignore' });
        return (await new Promise((resolve) => probe.on('exit', resolve))) === 0 ? true : undefined;
      }, 'redis-server to start');
    },
    async stop() {
      const running = child;
      if (!running || running.exitCode !== null || running.signalCode !== null) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGKILL');
      await exited;
    },
  };
  await server.start();
  return server;
}
