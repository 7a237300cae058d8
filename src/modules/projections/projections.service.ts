import { Inject, Injectable } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { invalidField } from '@app/errors';
import { toCents } from '@app/money';
import { projectionsConfig, type ProjectionsConfig } from '../../config/configuration';
import { PortfolioAccessService } from '../accounts/portfolio-access.service';
import { DEFAULT_CONFIG, stripUndefined } from '../accounts/domain/account-config';
import type { AccountType } from '../accounts/domain/account-types';
import { percentToBasisPoints } from '../accounts/domain/percent';
import type { TaskView } from '../async-tasks/dto/task.view';
import { parseTaskId } from '../async-tasks/task-id';
import { taskNotFound } from '../async-tasks/tasks.errors';
import { TasksProducer } from '../async-tasks/tasks.producer';
import { TasksService } from '../async-tasks/tasks.service';
import type { Principal } from '../auth/principal';
import { mergeThresholdNotAboveFork, portfolioNotFound } from '../accounts/accounts.errors';
import { ProjectionRun, type AccountKind, type ProjectionParams, type StartState } from './domain/projection';
import {
  deserializeProjection,
  PROJECTION_DEFAULTS,
  percentToPpm,
  serializeProjection,
  startFromCapital,
  type SerializedProjection,
} from './domain/projection-input';
import { toCsv, toOutput, type ProjectionOutput } from './domain/projection-output';
import type { CreateProjectionDto, ProjectionFormat } from './dto/projection.dto';
import type { ProjectionTaskView } from './dto/projection.view';
import { renderProjectionSvg } from './projection-chart';
import { runInSlices } from './projection-runner';
import { projectionFailed } from './projections.errors';
import { ProjectionsRepository } from './projections.repository';

/** What a projection endpoint answers: a document in the asked format, or (202) the task computing it. */
export type ProjectionReply =
  | { status: 200; contentType: string; body: ProjectionOutput | string }
  | { status: 202; contentType: string; body: ProjectionTaskView | TaskView };

const CONTENT_TYPES: Record<ProjectionFormat, string> = {
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  svg: 'image/svg+xml',
};

const KINDS: AccountKind[] = ['gen', 'rev', 'com'];

/** Projections (docs/domain.md §9): for a new capital, or from a portfolio's current state. */
@Injectable()
export class ProjectionsService {
  constructor(
    @Inject(projectionsConfig.KEY) private readonly config: ProjectionsConfig,
    private readonly repository: ProjectionsRepository,
    private readonly access: PortfolioAccessService,
    private readonly producer: TasksProducer,
    private readonly tasks: TasksService,
  ) {}

  /** A calculator: any authenticated caller. */
  calculate(dto: CreateProjectionDto, format: ProjectionFormat): Promise<ProjectionReply> {
    const allocation = dto.allocation ?? PROJECTION_DEFAULTS.allocation;
    if (allocation.gen + allocation.rev + allocation.com !== 100) {
      throw invalidField('allocation', 'must sum to 100');
    }
    const forkThreshold = dto.forkThreshold ? toCents(dto.forkThreshold) : PROJECTION_DEFAULTS.forkThreshold;
    const mergeThreshold = dto.mergeThreshold ? toCents(dto.mergeThreshold) : PROJECTION_DEFAULTS.mergeThreshold;
    if (mergeThreshold <= forkThreshold) throw mergeThresholdNotAboveFork();
    const rates = { ...PROJECTION_DEFAULTS.weeklyRates, ...stripUndefined(dto.weeklyRates ?? {}) };
    const params: ProjectionParams = {
      years: dto.years,
      bufferBp: percentToBasisPoints(dto.bufferPct ?? PROJECTION_DEFAULTS.bufferPct)!, // the DTO allows 2 decimals
      weeklyRatesPpm: ratesPpm(rates),
      forkThreshold,
      mergeThreshold,
    };
    return this.project(params, startFromCapital(toCents(dto.capital), allocation), format);
  }

  /** From the portfolio's current state and configuration; needs read access (invisible: 404). */
  async fromPortfolio(
    principal: Principal,
    portfolioId: string,
    years: number,
    format: ProjectionFormat,
  ): Promise<ProjectionReply> {
    await this.access.assert(principal, portfolioId, 'read');
    const source = await this.repository.loadSource(portfolioId);
    if (!source) throw portfolioNotFound(portfolioId);
    const root = (type: AccountType) => source.roots.find((r) => r.type === type);
    const rates = Object.fromEntries(
      KINDS.map((kind) => {
        const type = kind.toUpperCase() as AccountType;
        return [kind, root(type)?.weeklyTargetPct ?? DEFAULT_CONFIG[type].weeklyTargetPct];
      }),
    ) as Record<AccountKind, number>;
    const params: ProjectionParams = {
      years,
      bufferBp: source.buffer_bp,
      weeklyRatesPpm: ratesPpm(rates),
      forkThreshold: BigInt(source.fork_threshold),
      mergeThreshold: BigInt(source.merge_threshold),
    };
    const start: StartState = {
      gen: BigInt(root('GEN')?.value ?? 0),
      genBaseline: BigInt(root('GEN')?.baseline ?? 0),
      rev: BigInt(root('REV')?.value ?? 0),
      com: BigInt(root('COM')?.value ?? 0),
      units: source.units.map((u) => ({ gen: BigInt(u.gen), baseline: BigInt(u.baseline), com: BigInt(u.com) })),
    };
    return this.project(params, start, format, portfolioId);
  }

  /** A projection task's result in the asked format; 202 with the task while it runs. */
  async taskResult(principal: Principal, id: string, format: ProjectionFormat): Promise<ProjectionReply> {
    if (parseTaskId(id).queue !== 'projections') throw taskNotFound(id);
    const task = await this.tasks.get(principal, id); // visible to its owner and admins only
    if (task.state === 'failed') throw projectionFailed(id, task.error ?? 'unknown error');
    if (task.state !== 'completed') return { status: 202, contentType: CONTENT_TYPES.json, body: task };
    return render(task.result as ProjectionOutput, format);
  }

  /**
   * Runs the projection here, in slices that yield to the event loop, for at most the sync
   * budget; past it, the work goes to the projections queue and the caller gets the task.
   */
  private async project(
    params: ProjectionParams,
    start: StartState,
    format: ProjectionFormat,
    portfolioId?: string,
  ): Promise<ProjectionReply> {
    const { syncBudgetMs, sliceMs } = this.config;
    if (syncBudgetMs > 0) {
      const run = new ProjectionRun(params, start);
      if (await runInSlices(run, { sliceMs, deadline: performance.now() + syncBudgetMs })) {
        return render(toOutput(run.result()), format);
      }
    }
    const input = serializeProjection(params, start);
    const { id } = await this.producer.add('projections', 'projection', {
      input: input as unknown as Record<string, unknown>,
      portfolioId,
      format,
    });
    return {
      status: 202,
      contentType: CONTENT_TYPES.json,
      body: { id, resultUrl: `/v1/projections/tasks/${encodeURIComponent(id)}?format=${format}` },
    };
  }

  /** The worker's side: runs a queued projection to the end, reporting progress and honouring cancellation. */
  async runTask(
    input: SerializedProjection,
    hooks: { progress(percent: number): Promise<void>; checkpoint(): Promise<void> },
  ): Promise<ProjectionOutput> {
    const { params, start } = deserializeProjection(input);
    const run = new ProjectionRun(params, start);
    await runInSlices(run, {
      sliceMs: Math.max(this.config.sliceMs, 100),
      between: async (r) => {
        await hooks.checkpoint();
        await hooks.progress((100 * r.weeksDone) / r.totalWeeks);
      },
    });
    await hooks.progress(100);
    return toOutput(run.result());
  }
}

function render(output: ProjectionOutput, format: ProjectionFormat): ProjectionReply {
  const contentType = CONTENT_TYPES[format];
  if (format === 'csv') return { status: 200, contentType, body: toCsv(output) };
  if (format === 'svg') {
    return {
      status: 200,
      contentType,
      body: renderProjectionSvg(output, 'Projection: total value and income by year'),
    };
  }
  return { status: 200, contentType, body: output };
}

function ratesPpm(rates: Record<AccountKind, number>): Record<AccountKind, number> {
  const ppm = (kind: AccountKind) => {
    const value = percentToPpm(rates[kind]);
    if (value === undefined) throw invalidField(`weeklyRates.${kind}`, 'must be a percentage with at most 4 decimals');
    return value;
  };
  return { gen: ppm('gen'), rev: ppm('rev'), com: ppm('com') };
}
