import { Controller, Get, Param } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CONSISTENCY_TOKEN_HEADER } from '@formscale/db';
import { ApiError } from '../http/api-error';
import { parseId } from '../http/ids';
import { SubmissionsService } from './submissions.service';

@ApiTags('submissions')
@Controller('api')
export class SubmissionsController {
  constructor(private readonly submissions: SubmissionsService) {}

  @Get('submissions/:id')
  @ApiOperation({ summary: 'Where a submission is: queued, stored (with its row) or failed (with the reason)' })
  @ApiHeader({ name: CONSISTENCY_TOKEN_HEADER, required: false, description: 'read-your-writes token from an earlier write' })
  async status(@Param('id') rawId: string): Promise<unknown> {
    const id = parseId(rawId, 'submission id');
    const result = await this.submissions.status(id);
    if (result === undefined) {
      throw new ApiError(404, `There is no submission ${id}, or it expired from the queue; check the id from the 202 answer.`);
    }
    return result;
  }
}
