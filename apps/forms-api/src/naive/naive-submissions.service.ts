import { Injectable } from '@nestjs/common';
import type { SubmissionJob } from '@formscale/contracts';
import { SubmissionsService } from '../submissions/submissions.service';

/**
 * The baseline's submissions: one INSERT on the primary inside the request, the
 * answer only after it commits. Same validation, ids and idempotency as the real
 * path, so the two differ only in where the write happens.
 */
@Injectable()
export class NaiveSubmissionsService extends SubmissionsService {
  protected override async enqueue(job: SubmissionJob): Promise<void> {
    await this.router.write(
      `INSERT INTO submissions (id, form_id, form_version, data, idempotency_key, received_at, client_metadata)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
      [job.submissionId, job.formId, job.formVersion, JSON.stringify(job.data), job.idempotencyKey, job.receivedAt, JSON.stringify(job.client)],
    );
  }
}
