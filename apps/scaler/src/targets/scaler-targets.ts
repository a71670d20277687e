import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { BACKENDS, parseTargetConfig, type TargetConfig } from '../algorithm';

export type BackendName = (typeof BACKENDS)[number];

/** A target as the service runs it: the algorithm's config plus where its figures come from. */
export interface ScalerTarget {
  config: TargetConfig;
  /** The key of the target's figures in scaling.snapshot's services. */
  service: string;
  /** The key of its queue in scaling.snapshot's queues, for a queueDepth metric. */
  queue?: string;
}

// Only the service's own fields; the rest is the algorithm's target, checked by parseTargetConfig.
const serviceFieldsSchema = z.object({
  service: z.string().min(1).optional(),
  queue: z.string().min(1).optional(),
});

const fileSchema = z.object({ targets: z.array(z.record(z.string(), z.unknown())).min(1) });

/** Parses the YAML text of a scaler config; throws one error naming the file's problem. */
export function parseScalerTargets(yamlText: string, backendOverride: BackendName | '' = ''): ScalerTarget[] {
  const file = fileSchema.safeParse(parse(yamlText));
  if (!file.success) {
    throw new Error(`the scaler config needs a "targets:" list of at least one target:\n${z.prettifyError(file.error)}`);
  }
  const targets = file.data.targets.map((entry) => {
    const { service, queue, ...rest } = entry;
    const fields = serviceFieldsSchema.safeParse({ service, queue });
    if (!fields.success) {
      throw new Error(`invalid scaling target "${String(rest['name'] ?? '?')}":\n${z.prettifyError(fields.error)}`);
    }
    const config = parseTargetConfig(backendOverride === '' ? rest : { ...rest, backend: backendOverride });
    if (config.metrics.some((metric) => metric.kind === 'queueDepth') && fields.data.queue === undefined) {
      throw new Error(`scaling target "${config.name}" has a queueDepth metric but no "queue:" naming the BullMQ queue`);
    }
    return { config, service: fields.data.service ?? config.name, queue: fields.data.queue };
  });
  const names = targets.map((target) => target.config.name);
  const twice = names.find((name, index) => names.indexOf(name) !== index);
  if (twice !== undefined) throw new Error(`scaling target "${twice}" is listed twice; give each target once`);
  return targets;
}

/** Reads SCALER_CONFIG; a relative path is taken from the working directory, as a shell user expects. */
export function loadScalerTargets(path: string, backendOverride: BackendName | '' = ''): ScalerTarget[] {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the scaler config ${file} (SCALER_CONFIG): ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    return parseScalerTargets(text, backendOverride);
  } catch (error) {
    throw new Error(`${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
