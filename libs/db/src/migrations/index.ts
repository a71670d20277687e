import { InitialSchema1795780800000 } from './1795780800000-initial-schema';
import { WebhookDeliveryAttempts1795867200000 } from './1795867200000-webhook-delivery-attempts';

/**
 * Every migration, oldest first, as class references: TypeORM's glob loading
 * finds nothing in a webpack bundle. A new migration is added here.
 */
export const MIGRATIONS = [InitialSchema1795780800000, WebhookDeliveryAttempts1795867200000];
