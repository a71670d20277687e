import { Module } from '@nestjs/common';
import { AdminController } from './admin.controller';
import { AdminKeyGuard } from './admin-key.guard';
import { AdminService } from './admin.service';
import { EdgePurgeClient } from '../edge/purge-client';

@Module({ controllers: [AdminController], providers: [AdminService, AdminKeyGuard, EdgePurgeClient] })
export class AdminModule {}
