import { Controller, Get } from '@nestjs/common';
import { ScalerService } from './scaler.service';

@Controller('status')
export class StatusController {
  constructor(private readonly scaler: ScalerService) {}

  /** Whether this instance leads, its targets and its last decisions: what an operator asks first. */
  @Get()
  status() {
    return this.scaler.status();
  }
}
