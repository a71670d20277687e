import { createProgress, type ProgressStream } from './progress';
import { writeReport, type ReportFiles } from './report';
import { simulatePolicy, type PolicyResult } from './simulate';
import type { SimulateOptions } from './options';
import { loadTrace, traceDuration, type Trace } from './traces';

export interface SimulationRun {
  trace: Trace;
  results: PolicyResult[];
  files: ReportFiles;
}

/** The whole command without the process around it: load, simulate each policy, write the report. */
export function runSimulation(options: SimulateOptions, progressStream: ProgressStream): SimulationRun {
  const trace = loadTrace(options.trace);
  const duration = traceDuration(trace);
  const results = options.policies.map((policy) => {
    const progress = createProgress(progressStream, duration, `${trace.name} ${policy}`);
    const result = simulatePolicy(trace, policy, options.settings, (done) => progress.update(done));
    progress.finish();
    return result;
  });
  const files = writeReport(options.outDir, trace, options.settings, results);
  return { trace, results, files };
}
