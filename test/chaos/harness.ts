import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A built entry point (`dist/main.js`, `dist/worker.js`) run as a child process and started again
 * whenever it exits (killed, or refused to start while PostgreSQL or Redis was down), until
 * `stop()`. `up` resolves once it serves.
 */
export class Supervised {
  private child?: ChildProcess;
  private stopping = false;
  private tail: string[] = [];
  /** Starts, and starts that ended before the process said it runs. */
  starts = 0;
  failedStarts = 0;
  private running = false;

  constructor(
    readonly name: string,
    private readonly entry: string,
    private readonly env: Record<string, string>,
    /** Whether it serves (its health or metrics endpoint answers). */
    private readonly serves: () => Promise<boolean>,
  ) {}

  start(): void {
    this.stopping = false;
    this.starts++;
    this.running = false;
    const child = spawn(process.execPath, [join(ROOT, this.entry)], {
      cwd: ROOT,
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const keep = (chunk: Buffer) => {
      this.tail.push(...chunk.toString().split('\n').filter(Boolean));
      this.tail.splice(0, Math.max(0, this.tail.length - 40));
    };
    void (async () => {
      while (child.exitCode === null && child.signalCode === null && !(await this.serves().catch(() => false)))
        await sleep(100);
      if (this.child === child && child.exitCode === null && child.signalCode === null) this.running = true;
    })();
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('exit', () => {
      if (!this.running) this.failedStarts++;
      this.running = false;
      if (!this.stopping) setTimeout(() => !this.stopping && this.start(), 300);
    });
  }

  /** Resolves once the process runs (it is restarted as often as it takes). */
  async up(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.running) {
      if (Date.now() > deadline) throw new Error(`${this.name} did not start:\n${this.tail.join('\n')}`);
      await sleep(50);
    }
  }

  /** SIGKILL: no shutdown at all; the supervisor starts it again. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  /** SIGTERM (graceful), and no restart. */
  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }

  output(): string {
    return this.tail.join('\n');
  }
}

/** One HTTP attempt as the client saw it. */
export interface Attempt {
  /** When it was sent, and when its answer (or failure) came. */
  at: number;
  doneAt: number;
  /** A definitive answer (any status the client does not retry), a retried status, or no answer. */
  outcome: 'answer' | 'retried' | 'connection';
  status?: number;
}

export interface Answer {
  status: number;
  body: any;
  attempts: number;
}

/** Statuses that are no answer about the request itself: the same request is sent again. */
const RETRIED = new Set([500, 502, 503, 504]);

/**
 * The client of the chaos run: every request carries its Idempotency-Key (when it has one), and
 * is sent again with the same key, with backoff, until it gets a definitive answer, for at most
 * `giveUpMs`. Every attempt is logged with its time, so that faults can be matched to what
 * clients saw.
 */
export class RetryingClient {
  readonly attempts: Attempt[] = [];
  gaveUp = 0;

  constructor(
    private readonly base: string,
    private readonly key: string,
    private readonly giveUpMs = 90_000,
  ) {}

  async send(
    method: string,
    path: string,
    body?: unknown,
    options: { idempotencyKey?: string; contentType?: string } = {},
  ): Promise<Answer> {
    const started = Date.now();
    for (let n = 1; ; n++) {
      const at = Date.now();
      try {
        const res = await fetch(this.base + path, {
          method,
          headers: {
            authorization: `Bearer ${this.key}`,
            ...(body !== undefined && { 'content-type': options.contentType ?? 'application/json' }),
            ...(options.idempotencyKey && { 'idempotency-key': options.idempotencyKey }),
          },
          body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
          signal: AbortSignal.timeout(10_000),
        });
        const text = await res.text();
        if (!RETRIED.has(res.status)) {
          this.attempts.push({ at, doneAt: Date.now(), outcome: 'answer', status: res.status });
          return { status: res.status, body: text ? JSON.parse(text) : undefined, attempts: n };
        }
        this.attempts.push({ at, doneAt: Date.now(), outcome: 'retried', status: res.status });
      } catch {
        this.attempts.push({ at, doneAt: Date.now(), outcome: 'connection' });
      }
      if (Date.now() - started > this.giveUpMs) {
        this.gaveUp++;
        throw new Error(`${method} ${path}: no definitive answer within ${this.giveUpMs} ms`);
      }
      await sleep(Math.min(100 * 2 ** Math.min(n, 5), 2_000) * (0.5 + Math.random()));
    }
  }
}

export interface Fault {
  name: string;
  at: number;
  /** When the fault was over (the server back, the process restarted, the sleep returned). */
  doneAt?: number;
  note?: string;
}

export interface FaultFigures {
  fault: string;
  count: number;
  /** 5xx and connection errors clients saw between the fault and the first answer after it. */
  errors5xx: number;
  connectionErrors: number;
  /**
   * Time from the fault to the first definitive answer to a request sent after the fault began,
   * received after it was over (ms): worst and median.
   */
  recoveryMaxMs: number;
  recoveryMedianMs: number;
}

/** Per kind of fault: the errors clients saw while it lasted and how long until they were answered again. */
export function faultFigures(faults: Fault[], attempts: Attempt[]): FaultFigures[] {
  const byName = new Map<string, { errors5xx: number; connection: number; recovery: number[] }>();
  for (const fault of faults) {
    const over = fault.doneAt ?? fault.at;
    const answered = attempts.filter((a) => a.at >= fault.at && a.doneAt >= over && a.outcome === 'answer');
    const recovered = answered.length ? Math.min(...answered.map((a) => a.doneAt)) : undefined;
    const end = recovered ?? Infinity;
    // Failures that came while the fault lasted (sent before it too: requests it cut off).
    const during = attempts.filter((a) => a.outcome !== 'answer' && a.doneAt >= fault.at && a.doneAt <= end);
    const entry = byName.get(fault.name) ?? { errors5xx: 0, connection: 0, recovery: [] };
    entry.errors5xx += during.filter((a) => a.outcome === 'retried').length;
    entry.connection += during.filter((a) => a.outcome === 'connection').length;
    entry.recovery.push((recovered ?? Date.now()) - fault.at);
    byName.set(fault.name, entry);
  }
  return [...byName].map(([fault, e]) => {
    const times = [...e.recovery].sort((a, b) => a - b);
    return {
      fault,
      count: times.length,
      errors5xx: e.errors5xx,
      connectionErrors: e.connection,
      recoveryMaxMs: times[times.length - 1],
      recoveryMedianMs: times[Math.floor((times.length - 1) / 2)],
    };
  });
}
