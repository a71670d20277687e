import { FormStats } from './form-stats.entity';
import { FormVersion } from './form-version.entity';
import { Form } from './form.entity';
import { Submission } from './submission.entity';
import { WebhookDelivery } from './webhook-delivery.entity';
import { WebhookEndpoint } from './webhook-endpoint.entity';

/** Every entity, as class references: a bundle (webpack) has no files to glob. */
export const ENTITIES = [Form, FormVersion, Submission, FormStats, WebhookEndpoint, WebhookDelivery];
