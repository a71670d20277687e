import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * webhook_deliveries becomes a log with one row per delivery attempt (the
 * issue's "a delivery log row per attempt"), instead of one row per
 * (endpoint, submission) whose columns the next attempt overwrote: a failing
 * receiver's history, its status codes and errors, stays readable.
 *
 * A row is written when its attempt has an outcome, so `status` is that
 * outcome: succeeded, failed (no answer, or not 2xx) or refused (the
 * destination resolves to an address webhooks may not reach; never
 * requested). Existing rows become the attempt they described last.
 */
export class WebhookDeliveryAttempts1795867200000 implements MigrationInterface {
  name = 'WebhookDeliveryAttempts1795867200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // A claim that never got to its attempt describes nothing.
    await queryRunner.query(`DELETE FROM webhook_deliveries WHERE attempts = 0`);
    await queryRunner.query(`ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_endpoint_id_submission_id_key`);
    await queryRunner.query(`ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_status_check`);
    await queryRunner.query(`ALTER TABLE webhook_deliveries RENAME COLUMN attempts TO attempt`);
    await queryRunner.query(`ALTER TABLE webhook_deliveries RENAME COLUMN last_error TO error`);
    await queryRunner.query(`ALTER TABLE webhook_deliveries ALTER COLUMN attempt DROP DEFAULT`);
    await queryRunner.query(`ALTER TABLE webhook_deliveries ALTER COLUMN status DROP DEFAULT`);
    // 'pending' meant "failed, will be retried".
    await queryRunner.query(`UPDATE webhook_deliveries SET status = 'failed' WHERE status = 'pending'`);
    await queryRunner.query(`ALTER TABLE webhook_deliveries DROP COLUMN delivered_at`);
    await queryRunner.query(`ALTER TABLE webhook_deliveries DROP COLUMN updated_at`);
    await queryRunner.query(
      `ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_status_check CHECK ("status" IN ('succeeded', 'failed', 'refused'))`,
    );
    await queryRunner.query(`ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_attempt_check CHECK ("attempt" >= 1)`);
    await queryRunner.query(
      `ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_endpoint_id_submission_id_attempt_key UNIQUE (endpoint_id, submission_id, attempt)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // One row per (endpoint, submission) again: the latest attempt stands for the delivery.
    await queryRunner.query(`
      DELETE FROM webhook_deliveries d USING webhook_deliveries later
       WHERE later.endpoint_id = d.endpoint_id AND later.submission_id = d.submission_id AND later.attempt > d.attempt`);
    await queryRunner.query(`ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_endpoint_id_submission_id_attempt_key`);
    await queryRunner.query(`ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_attempt_check`);
    await queryRunner.query(`ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_status_check`);
    await queryRunner.query(`UPDATE webhook_deliveries SET status = 'failed' WHERE status = 'refused'`);
    await queryRunner.query(`ALTER TABLE webhook_deliveries ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now()`);
    await queryRunner.query(`ALTER TABLE webhook_deliveries ADD COLUMN delivered_at timestamptz`);
    await queryRunner.query(`UPDATE webhook_deliveries SET delivered_at = created_at WHERE status = 'succeeded'`);
    await queryRunner.query(`ALTER TABLE webhook_deliveries ALTER COLUMN status SET DEFAULT 'pending'`);
    await queryRunner.query(`ALTER TABLE webhook_deliveries ALTER COLUMN attempt SET DEFAULT 0`);
    await queryRunner.query(`ALTER TABLE webhook_deliveries RENAME COLUMN error TO last_error`);
    await queryRunner.query(`ALTER TABLE webhook_deliveries RENAME COLUMN attempt TO attempts`);
    await queryRunner.query(
      `ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_status_check CHECK ("status" IN ('pending', 'succeeded', 'failed'))`,
    );
    await queryRunner.query(
      `ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_endpoint_id_submission_id_key UNIQUE (endpoint_id, submission_id)`,
    );
  }
}
