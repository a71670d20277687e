import { Module } from '@nestjs/common';
import { AdminController } from './admin.controller';
import { AdminKeyGuard } from './admin-key.guard';
import { AdminService } from './admin.service';
import { EdgePurgeClient } from '../edge/purge-client';
import { NginxPurgeClient } from '../edge/nginx-purge-client';

@Module({ controllers: [AdminController], providers: [AdminService, AdminKeyGuard, EdgePurgeClient, NginxPurgeClient] })
export class AdminModule {}
