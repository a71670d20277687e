import {
  BeforeApplicationShutdown,
  Controller,
  DynamicModule,
  Get,
  Inject,
  Injectable,
  Module,
  OnApplicationShutdown,
  OnModuleDestroy,
} from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TerminusModule } from '@nestjs/terminus';
import { setTimeout as sleep } from 'node:timers/promises';
import { DependencyProbe, postgresProbe, redisProbe } from './dependency-probes';

export interface HealthOptions {
  redisUrl: string;
  databaseUrl: string;
  /** Per-dependency bound on a readiness check. */
  timeoutMs: number;
  /** After a shutdown signal, how long readiness says 503 before the server stops accepting. */
  shutdownGraceMs: number;
}

const HEALTH_OPTIONS = Symbol('HEALTH_OPTIONS');

@Injectable()
class Readiness implements OnModuleDestroy, BeforeApplicationShutdown, OnApplicationShutdown {
  private draining = false;
  readonly probes: readonly DependencyProbe[];

  constructor(@Inject(HEALTH_OPTIONS) private readonly options: HealthOptions) {
    this.probes = [redisProbe(options.redisUrl), postgresProbe(options.databaseUrl)];
  }

  get isDraining(): boolean {
    return this.draining;
  }

  // Destroy hooks run first on shutdown: from here on, load balancers see 503.
  onModuleDestroy(): void {
    this.draining = true;
  }

  // The HTTP server closes right after this hook; the grace lets endpoints
  // and upstreams stop routing here before the listener goes away.
  async beforeApplicationShutdown(): Promise<void> {
    if (this.options.shutdownGraceMs > 0) await sleep(this.options.shutdownGraceMs);
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.probes.map((probe) => probe.close()));
  }
}

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly readiness: Readiness,
    @Inject(HEALTH_OPTIONS) private readonly options: HealthOptions,
  ) {}

  /** The process runs its event loop: restart it only when this fails. */
  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Can this instance serve now: every dependency answers and it is not shutting down. */
  @Get('ready')
  @HealthCheck()
  ready() {
    const checks = this.readiness.probes.map((probe) => async () => {
      const session = this.indicators.check(probe.name);
      try {
        await probe.check(this.options.timeoutMs);
        return session.up();
      } catch (error) {
        return session.down({ message: error instanceof Error ? error.message : String(error) });
      }
    });
    checks.push(async () => {
      const session = this.indicators.check('lifecycle');
      return this.readiness.isDraining ? session.down({ message: 'shutting down' }) : session.up();
    });
    return this.health.check(checks);
  }
}

/** GET /health/live and GET /health/ready (Redis, PostgreSQL, not shutting down). */
@Module({})
export class HealthModule {
  static forRoot(options: HealthOptions): DynamicModule {
    return {
      module: HealthModule,
      // Terminus logs each failed check itself; readiness failures are answers, not errors.
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [HealthController],
      providers: [{ provide: HEALTH_OPTIONS, useValue: options }, Readiness],
    };
  }
}
