import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * forms, their versions, submissions, per-form statistics and webhooks.
 * Constraint and index names are spelled out (and match the entities), so
 * error messages and EXPLAIN output read plainly and the entities compare
 * equal to this schema.
 */
export class InitialSchema1795780800000 implements MigrationInterface {
  // TypeORM takes the timestamp from the name; set it explicitly so a minifying bundler cannot rename it.
  name = 'InitialSchema1795780800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE forms (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        slug text NOT NULL,
        title text NOT NULL,
        status text NOT NULL DEFAULT 'draft',
        published_version integer,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT forms_pkey PRIMARY KEY (id),
        CONSTRAINT forms_slug_key UNIQUE (slug),
        CONSTRAINT forms_status_check CHECK ("status" IN ('draft', 'published', 'archived'))
      )`);
    await queryRunner.query(`CREATE INDEX forms_created_at_id_idx ON forms (created_at, id)`);

    await queryRunner.query(`
      CREATE TABLE form_versions (
        form_id uuid NOT NULL,
        version integer NOT NULL,
        fields jsonb NOT NULL,
        published_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT form_versions_pkey PRIMARY KEY (form_id, version),
        CONSTRAINT form_versions_version_check CHECK ("version" >= 1),
        CONSTRAINT form_versions_form_id_fkey FOREIGN KEY (form_id) REFERENCES forms (id) ON DELETE CASCADE
      )`);
    await queryRunner.query(`
      ALTER TABLE forms ADD CONSTRAINT forms_published_version_fkey
        FOREIGN KEY (id, published_version) REFERENCES form_versions (form_id, version)`);
    // Submissions are validated against a published version; changing it
    // afterwards would make stored submissions disagree with their definition.
    // Deleting the whole form (a cascade, so inside a trigger) stays possible.
    await queryRunner.query(`
      CREATE FUNCTION form_versions_keep_published() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF OLD.published_at IS NOT NULL AND (TG_OP = 'UPDATE' OR pg_trigger_depth() = 1) THEN
          RAISE EXCEPTION 'form % version % is published and cannot be changed; create a new version instead',
            OLD.form_id, OLD.version
            USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
      END $$`);
    await queryRunner.query(`
      CREATE TRIGGER form_versions_keep_published BEFORE UPDATE OR DELETE ON form_versions
        FOR EACH ROW EXECUTE FUNCTION form_versions_keep_published()`);

    await queryRunner.query(`
      CREATE TABLE submissions (
        id uuid NOT NULL,
        form_id uuid NOT NULL,
        form_version integer NOT NULL,
        data jsonb NOT NULL,
        idempotency_key text,
        received_at timestamptz NOT NULL,
        stored_at timestamptz NOT NULL DEFAULT now(),
        client_metadata jsonb NOT NULL DEFAULT '{}',
        CONSTRAINT submissions_pkey PRIMARY KEY (id),
        CONSTRAINT submissions_form_id_idempotency_key_key UNIQUE (form_id, idempotency_key),
        CONSTRAINT submissions_form_version_fkey FOREIGN KEY (form_id, form_version)
          REFERENCES form_versions (form_id, version) ON DELETE CASCADE
      )`);
    await queryRunner.query(
      `CREATE INDEX submissions_form_id_received_at_id_idx ON submissions (form_id, received_at, id)`,
    );

    await queryRunner.query(`
      CREATE TABLE form_stats (
        form_id uuid NOT NULL,
        submission_count bigint NOT NULL DEFAULT 0,
        last_submission_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT form_stats_pkey PRIMARY KEY (form_id),
        CONSTRAINT form_stats_form_id_fkey FOREIGN KEY (form_id) REFERENCES forms (id) ON DELETE CASCADE
      )`);

    await queryRunner.query(`
      CREATE TABLE webhook_endpoints (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        form_id uuid NOT NULL,
        url text NOT NULL,
        secret text NOT NULL,
        active boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT webhook_endpoints_pkey PRIMARY KEY (id),
        CONSTRAINT webhook_endpoints_form_id_fkey FOREIGN KEY (form_id) REFERENCES forms (id) ON DELETE CASCADE
      )`);
    await queryRunner.query(`CREATE INDEX webhook_endpoints_form_id_idx ON webhook_endpoints (form_id)`);

    await queryRunner.query(`
      CREATE TABLE webhook_deliveries (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        endpoint_id uuid NOT NULL,
        submission_id uuid NOT NULL,
        status text NOT NULL DEFAULT 'pending',
        attempts integer NOT NULL DEFAULT 0,
        response_status integer,
        last_error text,
        delivered_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT webhook_deliveries_pkey PRIMARY KEY (id),
        CONSTRAINT webhook_deliveries_endpoint_id_submission_id_key UNIQUE (endpoint_id, submission_id),
        CONSTRAINT webhook_deliveries_status_check CHECK ("status" IN ('pending', 'succeeded', 'failed')),
        CONSTRAINT webhook_deliveries_endpoint_id_fkey FOREIGN KEY (endpoint_id)
          REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
        CONSTRAINT webhook_deliveries_submission_id_fkey FOREIGN KEY (submission_id)
          REFERENCES submissions (id) ON DELETE CASCADE
      )`);
    await queryRunner.query(
      `CREATE INDEX webhook_deliveries_endpoint_id_created_at_id_idx ON webhook_deliveries (endpoint_id, created_at, id)`,
    );
    await queryRunner.query(`CREATE INDEX webhook_deliveries_submission_id_idx ON webhook_deliveries (submission_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE webhook_deliveries`);
    await queryRunner.query(`DROP TABLE webhook_endpoints`);
    await queryRunner.query(`DROP TABLE form_stats`);
    await queryRunner.query(`DROP TABLE submissions`);
    await queryRunner.query(`ALTER TABLE forms DROP CONSTRAINT forms_published_version_fkey`);
    await queryRunner.query(`DROP TABLE form_versions`);
    await queryRunner.query(`DROP FUNCTION form_versions_keep_published()`);
    await queryRunner.query(`DROP TABLE forms`);
  }
}
