import { Controller, Get, Inject, NotFoundException, Param, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { DashboardAssets } from './dashboard-assets';

export const DASHBOARD_ASSETS = Symbol('DASHBOARD_ASSETS');

/** A fingerprinted name never changes content: any cache may keep it for a year without asking again. */
export const IMMUTABLE_CACHE_CONTROL = 'public, max-age=31536000, immutable';
/** The page itself names the current files: revalidated on every load, so a new version shows at once. */
export const PAGE_CACHE_CONTROL = 'no-cache';

/** The live dashboard: a static page that polls /api/history and draws on canvas; no CDN needed, any CDN welcome. */
@Controller()
export class DashboardController {
  constructor(@Inject(DASHBOARD_ASSETS) private readonly assets: DashboardAssets) {}

  @Get()
  index(@Res({ passthrough: true }) reply: FastifyReply): Buffer {
    reply.header('Content-Type', 'text/html; charset=utf-8');
    reply.header('Cache-Control', PAGE_CACHE_CONTROL);
    return this.assets.html;
  }

  @Get('dashboard/:file')
  asset(@Param('file') file: string, @Res({ passthrough: true }) reply: FastifyReply): Buffer {
    const asset = this.assets.files.get(file);
    if (asset === undefined) throw new NotFoundException(`no dashboard file ${file}; the page at / names the current ones`);
    reply.header('Content-Type', asset.contentType);
    reply.header('Cache-Control', IMMUTABLE_CACHE_CONTROL);
    return asset.body;
  }
}
