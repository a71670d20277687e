import { submissionBody } from './forms-setup';
import { seededRandom, zipfSampler } from '@formscale/workload';

/** Form popularity exponent: s = 1 is classic Zipf, close to what web traffic shows. */
export const ZIPF_EXPONENT = 1;

export interface PlannedRequest {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
}

/**
 * The request mix: reads of a published form and submissions to one, forms
 * picked by Zipf popularity, all from one seeded generator so that the same
 * seed offers the same sequence.
 */
export function workload(formIds: readonly string[], readShare: number, seed: number): () => PlannedRequest {
  const random = seededRandom(seed);
  const pickForm = zipfSampler(formIds.length, ZIPF_EXPONENT, random);
  let n = 0;
  return () => {
    const formId = formIds[pickForm()] as string;
    n++;
    if (random() < readShare) return { method: 'GET', path: `/api/forms/${formId}` };
    return { method: 'POST', path: `/api/forms/${formId}/submissions`, body: submissionBody(n) };
  };
}
