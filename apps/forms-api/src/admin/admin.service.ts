import { Injectable } from '@nestjs/common';
import { Readable } from 'node:stream';
import { ReplicaRouter, runWithConsistency, type TransactionClient } from '@formscale/db';
import { ApiError } from '../http/api-error';
import type { FieldDefinition } from '../forms/form-fields';
import { PublishedForms } from '../forms/published-forms';
import { EdgePurgeClient } from '../edge/purge-client';
import { NginxPurgeClient } from '../edge/nginx-purge-client';

/** Rows per keyset page of the CSV export: big enough for few round trips, small enough to keep memory flat. */
const EXPORT_BATCH_ROWS = 1_000;

export interface FormSummary {
  id: string;
  slug: string;
  title: string;
  status: string;
  publishedVersion: number | null;
  latestVersion: number;
  createdAt: string;
}

interface Cursor {
  at: string;
  id: string;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(`${cursor.at}|${cursor.id}`).toString('base64url');
}

export function decodeCursor(raw: string | undefined): Cursor | undefined {
  if (raw === undefined || raw === '') return undefined;
  const [at, id] = Buffer.from(raw, 'base64url').toString('utf8').split('|');
  if (at === undefined || id === undefined || Number.isNaN(Date.parse(at)) || !/^[0-9a-f-]{36}$/i.test(id)) {
    throw new ApiError(400, 'The cursor is not one this API gave out; pass next_cursor from the previous page unchanged.');
  }
  return { at, id };
}

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = Array.isArray(value) ? value.join(';') : typeof value === 'object' ? JSON.stringify(value) : String(value);
  // Cells that a spreadsheet would run as a formula get a leading quote (CSV injection).
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

@Injectable()
export class AdminService {
  constructor(
    private readonly router: ReplicaRouter,
    private readonly forms: PublishedForms,
    private readonly edge: EdgePurgeClient,
    private readonly nginx: NginxPurgeClient,
  ) {}

  /** After the commit and the API cache's invalidation: the CDN and every nginx edge cache drop or refresh the form. */
  private async purgeEdges(id: string): Promise<void> {
    await Promise.all([this.edge.purgeForm(id), this.nginx.purgeForm(id)]);
  }

  async create(input: { slug: string; title: string; fields: FieldDefinition[] }) {
    try {
      return await this.router.transaction(async (tx) => {
        const { rows } = await tx.query<{ id: string }>(`INSERT INTO forms (slug, title) VALUES ($1, $2) RETURNING id`, [
          input.slug,
          input.title,
        ]);
        const id = rows[0]!.id;
        await tx.query(`INSERT INTO form_versions (form_id, version, fields) VALUES ($1, 1, $2)`, [id, JSON.stringify(input.fields)]);
        return { id, slug: input.slug, title: input.title, status: 'draft', draftVersion: 1 };
      });
    } catch (error) {
      if ((error as { code?: string }).code === '23505') {
        throw new ApiError(409, `A form with the slug ${JSON.stringify(input.slug)} exists already; choose another slug.`);
      }
      throw error;
    }
  }

  private async lockForm(tx: TransactionClient, id: string) {
    const { rows } = await tx.query<{ status: string; latest: number; latest_published: boolean }>(
      `SELECT f.status, v.version AS latest, v.published_at IS NOT NULL AS latest_published
         FROM forms f JOIN form_versions v ON v.form_id = f.id
        WHERE f.id = $1 ORDER BY v.version DESC LIMIT 1 FOR UPDATE OF f`,
      [id],
    );
    if (rows[0] === undefined) throw new ApiError(404, `There is no form ${id}; check the id in the URL.`);
    if (rows[0].status === 'archived') throw new ApiError(409, `Form ${id} is archived; it cannot change.`);
    return rows[0];
  }

  /** The draft is the latest version while unpublished; after a publication an edit starts the next version. */
  async updateDraft(id: string, input: { title?: string; fields: FieldDefinition[] }) {
    return this.router.transaction(async (tx) => {
      const form = await this.lockForm(tx, id);
      let version = form.latest;
      if (form.latest_published) {
        version = form.latest + 1;
        await tx.query(`INSERT INTO form_versions (form_id, version, fields) VALUES ($1, $2, $3)`, [id, version, JSON.stringify(input.fields)]);
      } else {
        await tx.query(`UPDATE form_versions SET fields = $3 WHERE form_id = $1 AND version = $2`, [id, version, JSON.stringify(input.fields)]);
      }
      if (input.title !== undefined) await tx.query(`UPDATE forms SET title = $2, updated_at = now() WHERE id = $1`, [id, input.title]);
      return { id, draftVersion: version };
    });
  }

  async publish(id: string) {
    return runWithConsistency(undefined, () => this.publishAndRefresh(id));
  }

  private async publishAndRefresh(id: string) {
    const committed = await this.router.transaction(async (tx) => {
      const form = await this.lockForm(tx, id);
      if (form.latest_published) throw new ApiError(409, `Form ${id} has no unpublished draft; update the draft first.`);
      await tx.query(`UPDATE form_versions SET published_at = now() WHERE form_id = $1 AND version = $2`, [id, form.latest]);
      await tx.query(`UPDATE forms SET status = 'published', published_version = $2, updated_at = now() WHERE id = $1`, [id, form.latest]);
      return { id, status: 'published', publishedVersion: form.latest };
    });
    await this.forms.refresh(id);
    await this.purgeEdges(id);
    return committed;
  }

  async archive(id: string) {
    return runWithConsistency(undefined, () => this.archiveAndRefresh(id));
  }

  private async archiveAndRefresh(id: string) {
    const committed = await this.router.transaction(async (tx) => {
      await this.lockForm(tx, id);
      await tx.query(`UPDATE forms SET status = 'archived', updated_at = now() WHERE id = $1`, [id]);
      return { id, status: 'archived' };
    });
    await this.forms.refresh(id);
    await this.purgeEdges(id);
    return committed;
  }

  async list(limit: number, cursor: Cursor | undefined) {
    const { rows } = await this.router.read<{
      id: string;
      slug: string;
      title: string;
      status: string;
      published_version: number | null;
      latest: number;
      created_at: Date;
    }>(
      `SELECT f.id, f.slug, f.title, f.status, f.published_version, f.created_at,
              (SELECT max(version) FROM form_versions v WHERE v.form_id = f.id) AS latest
         FROM forms f
        WHERE ($1::timestamptz IS NULL OR (f.created_at, f.id) < ($1::timestamptz, $2::uuid))
        ORDER BY f.created_at DESC, f.id DESC LIMIT $3`,
      [cursor?.at ?? null, cursor?.id ?? null, limit + 1],
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map(
        (row): FormSummary => ({
          id: row.id,
          slug: row.slug,
          title: row.title,
          status: row.status,
          publishedVersion: row.published_version,
          latestVersion: row.latest,
          createdAt: row.created_at.toISOString(),
        }),
      ),
      nextCursor: rows.length > limit && last ? encodeCursor({ at: last.created_at.toISOString(), id: last.id }) : null,
    };
  }

  private async requireForm(id: string): Promise<void> {
    const { rows } = await this.router.read(`SELECT 1 FROM forms WHERE id = $1`, [id]);
    if (rows.length === 0) throw new ApiError(404, `There is no form ${id}; check the id in the URL.`);
  }

  private pageOfSubmissions(id: string, limit: number, cursor: Cursor | undefined) {
    return this.router.read<{ id: string; form_version: number; received_at: Date; stored_at: Date; data: Record<string, unknown> }>(
      `SELECT id, form_version, received_at, stored_at, data FROM submissions
        WHERE form_id = $1 AND ($2::timestamptz IS NULL OR (received_at, id) < ($2::timestamptz, $3::uuid))
        ORDER BY received_at DESC, id DESC LIMIT $4`,
      [id, cursor?.at ?? null, cursor?.id ?? null, limit],
    );
  }

  async submissions(id: string, limit: number, cursor: Cursor | undefined) {
    await this.requireForm(id);
    const { rows } = await this.pageOfSubmissions(id, limit + 1, cursor);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map((row) => ({
        id: row.id,
        formVersion: row.form_version,
        receivedAt: row.received_at.toISOString(),
        storedAt: row.stored_at.toISOString(),
        data: row.data,
      })),
      nextCursor: rows.length > limit && last ? encodeCursor({ at: last.received_at.toISOString(), id: last.id }) : null,
    };
  }

  async stats(id: string) {
    await this.requireForm(id);
    const { rows } = await this.router.read<{ submission_count: string | null; last_submission_at: Date | null; versions: number }>(
      `SELECT s.submission_count, s.last_submission_at, (SELECT count(*)::int FROM form_versions v WHERE v.form_id = $1) AS versions
         FROM (SELECT $1::uuid AS form_id) f LEFT JOIN form_stats s ON s.form_id = f.form_id`,
      [id],
    );
    const row = rows[0];
    return {
      formId: id,
      submissionCount: Number(row?.submission_count ?? 0),
      lastSubmissionAt: row?.last_submission_at?.toISOString() ?? null,
      versions: row?.versions ?? 0,
    };
  }

  /**
   * The form's submissions as CSV, newest first, read page by page by keyset
   * from a replica: memory stays at one page however many rows there are.
   */
  async exportCsv(id: string): Promise<Readable> {
    await this.requireForm(id);
    const { rows: fieldRows } = await this.router.read<{ fields: FieldDefinition[] }>(
      `SELECT fields FROM form_versions WHERE form_id = $1 ORDER BY version DESC LIMIT 1`,
      [id],
    );
    const names = (fieldRows[0]?.fields ?? []).map((field) => field.name);
    const pages = async function* (this: AdminService): AsyncGenerator<string> {
      yield `${['id', 'form_version', 'received_at', ...names].map(csvCell).join(',')}\n`;
      let cursor: Cursor | undefined;
      for (;;) {
        const { rows } = await this.pageOfSubmissions(id, EXPORT_BATCH_ROWS, cursor);
        if (rows.length === 0) return;
        yield rows
          .map((row) => `${[row.id, row.form_version, row.received_at.toISOString(), ...names.map((name) => row.data[name])].map(csvCell).join(',')}\n`)
          .join('');
        const last = rows[rows.length - 1]!;
        cursor = { at: last.received_at.toISOString(), id: last.id };
        if (rows.length < EXPORT_BATCH_ROWS) return;
      }
    }.call(this);
    return Readable.from(pages, { objectMode: false });
  }

  async createWebhook(formId: string, input: { url: string; secret: string }) {
    // The form is checked on the primary, with the insert: a form created a moment ago may not be on a replica yet.
    return this.router.transaction(async (tx) => {
      const form = await tx.query(`SELECT 1 FROM forms WHERE id = $1 FOR SHARE`, [formId]);
      if (form.rows.length === 0) throw new ApiError(404, `There is no form ${formId}; check the id in the URL.`);
      const { rows } = await tx.query<{ id: string }>(
        `INSERT INTO webhook_endpoints (form_id, url, secret) VALUES ($1, $2, $3) RETURNING id`,
        [formId, input.url, input.secret],
      );
      return { id: (rows[0] as { id: string }).id, formId, url: input.url, active: true };
    });
  }

  async listWebhooks(formId: string) {
    await this.requireForm(formId);
    const { rows } = await this.router.read<{ id: string; url: string; active: boolean }>(
      `SELECT id, url, active FROM webhook_endpoints WHERE form_id = $1 ORDER BY created_at`,
      [formId],
    );
    return { items: rows };
  }

  async deleteWebhook(formId: string, webhookId: string) {
    const result = await this.router.write(`DELETE FROM webhook_endpoints WHERE id = $1 AND form_id = $2`, [webhookId, formId]);
    if (result.rowCount === 0) throw new ApiError(404, `Form ${formId} has no webhook ${webhookId}.`);
    return result.consistencyToken;
  }
}
