/** Types of private-servers.js, for the TypeScript suites that use it. */
export function freePort(): Promise<number>;
export function postgresBinDir(): string;

export interface PrivatePostgres {
  port: number;
  dir: string;
  url(database?: string): string;
  restart(mode?: 'fast' | 'immediate' | 'smart'): Promise<void>;
  stop(mode?: 'fast' | 'immediate' | 'smart'): void;
  destroy(): void;
}
export function startPostgres(options?: {
  port?: number;
  maxConnections?: number;
  settings?: string[];
}): Promise<PrivatePostgres>;

export interface PrivateRedis {
  port: number;
  url: string;
  readonly running: boolean;
  cli(...args: string[]): Promise<string>;
  kill(signal?: NodeJS.Signals): Promise<void>;
  restart(signal?: NodeJS.Signals): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
export function startRedis(options?: { port?: number; persistent?: boolean }): Promise<PrivateRedis>;
