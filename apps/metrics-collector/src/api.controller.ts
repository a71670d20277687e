import { BadRequestException, Controller, Get, Query } from '@nestjs/common';
import { z } from 'zod';
import { CollectorState } from './collector-state';

const historyQuery = z.object({
  since: z.coerce.number().int().nonnegative().default(0),
});

/** JSON for the dashboard and for people with curl. */
@Controller('api')
export class ApiController {
  constructor(private readonly state: CollectorState) {}

  /** Now: every service's windows and live instances, every queue, firing KPIs, request totals. */
  @Get('snapshot')
  snapshot() {
    const services = this.state.services();
    return {
      at: Date.now(),
      services: Object.fromEntries(
        Object.entries(services).map(([service, view]) => [
          service,
          {
            ...view,
            live: this.state.windows.liveInstances(service),
            requestsTotal: [...(this.state.windows.totals.get(service)?.values() ?? [])],
          },
        ]),
      ),
      queues: this.state.queueFigures(),
      alerts: this.state.alerts(services),
      decisions: this.state.recentDecisions().slice(-20),
    };
  }

  /** Time series since `since` (ms since the epoch), and every scaler decision in that span. */
  @Get('history')
  history(@Query() query: unknown) {
    const parsed = historyQuery.safeParse(query);
    if (!parsed.success) throw new BadRequestException('since must be a time in milliseconds since the epoch, e.g. ?since=1764240000000');
    const { since } = parsed.data;
    return {
      at: Date.now(),
      points: this.state.historySince(since),
      decisions: this.state.recentDecisions().filter((decision) => decision.at > since),
      alerts: this.state.alerts(),
    };
  }
}
