import { Controller, Get, Inject, NotFoundException, Param, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const DASHBOARD_ASSETS = Symbol('DASHBOARD_ASSETS');

// The page's files, by name; nothing else under the folder is served.
const FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'dashboard.js': 'text/javascript; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
};

/** The live dashboard: a static page that polls /api/history and draws on canvas; no CDN. */
@Controller()
export class DashboardController {
  constructor(@Inject(DASHBOARD_ASSETS) private readonly folder: string) {}

  @Get()
  index(@Res({ passthrough: true }) reply: FastifyReply): Promise<Buffer> {
    return this.serve('index.html', reply);
  }

  @Get('dashboard/:file')
  asset(@Param('file') file: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<Buffer> {
    return this.serve(file, reply);
  }

  private async serve(file: string, reply: FastifyReply): Promise<Buffer> {
    const type = FILES[file];
    if (type === undefined) throw new NotFoundException(`no dashboard file ${file}; the page is at /`);
    reply.header('Content-Type', type);
    reply.header('Cache-Control', 'no-cache');
    return readFile(join(this.folder, file));
  }
}
