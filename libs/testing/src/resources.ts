import { createHook } from 'node:async_hooks';

export interface ResourceWatch {
  /** The timers and sockets created by the watched packages that are still alive, each with where it was made. */
  alive(): string[];
  stop(): void;
}

/**
 * Records the timers and sockets created from now on whose stack passes through one of
 * `packages` (e.g. `bullmq`), so that a spec can assert that closing an app left none behind:
 * the kind of leftover that keeps Jest from exiting.
 */
export function watchResources(packages: string[]): ResourceWatch {
  const live = new Map<number, { type: string; where: string; resource: { hasRef?: () => boolean } }>();
  const marks = packages.map((p) => `node_modules/${p}/`);
  const hook = createHook({
    init(id, type, _trigger, resource) {
      if (type !== 'Timeout' && type !== 'TCPWRAP') return;
      const stack = new Error().stack ?? '';
      const frame = stack.split('\n').find((line) => marks.some((m) => line.includes(m)));
      if (frame) live.set(id, { type, where: frame.trim(), resource });
    },
    destroy(id) {
      live.delete(id);
    },
  }).enable();
  return {
    alive: () =>
      [...live.values()]
        // An unreferenced timer does not keep the process alive.
        .filter((r) => r.type !== 'Timeout' || r.resource.hasRef?.() !== false)
        .map((r) => `${r.type} ${r.where}`),
    stop: () => hook.disable(),
  };
}
