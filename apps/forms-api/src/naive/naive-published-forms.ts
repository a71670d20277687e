import { Injectable } from '@nestjs/common';
import { PublishedForm, PublishedForms } from '../forms/published-forms';

/** The baseline's form reads: straight from the database on every request, no cache layer. */
@Injectable()
export class NaivePublishedForms extends PublishedForms {
  override async find(formId: string): Promise<PublishedForm | undefined> {
    return this.load(formId);
  }

  override async refresh(): Promise<void> {
    // Nothing is cached, so nothing goes stale.
  }
}
