import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseOptions, type SimulateOptions } from './options';
import { summaryRow } from './report';
import { runSimulation, type SimulationRun } from './run-simulation';

describe('simulator on the spike trace', () => {
  let dir: string;
  let options: SimulateOptions;
  let run: SimulationRun;
  const stderr: string[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'scaler-simulate-'));
    const parsed = parseOptions(['--trace', 'spike', '--out', dir]);
    if (parsed.help) {
      throw new Error('unexpected --help');
    }
    options = parsed;
    run = runSimulation(options, { isTTY: false, write: (text: string) => stderr.push(text) });
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs every policy over the whole trace', () => {
    expect(run.results.map((result) => result.policy)).toEqual(['hpa-cpu', 'threshold', 'queue-depth']);
    for (const result of run.results) {
      expect(result.series).toHaveLength(1200);
    }
    expect(stderr).toContain('spike queue-depth: 100%\n');
  });

  it('summaries agree with the series they come from', () => {
    for (const { series, summary, scales, stepSeconds } of run.results) {
      const replicaSeconds = series.reduce((total, point) => total + point.replicas * stepSeconds, 0);
      expect(summary.replicaMinutes).toBeCloseTo(replicaSeconds / 60, 9);
      const overObjective = series.filter((point) => point.p95Ms > options.settings.latencyObjectiveMs).length;
      expect(summary.secondsOverObjective).toBe(overObjective * stepSeconds);
      expect(summary.peakQueueAgeSeconds).toBe(Math.max(...series.map((point) => point.queueAgeSeconds)));
      const changes = series.filter((point, index) => index > 0 && point.replicas !== series[index - 1].replicas).length;
      expect(summary.scaleEvents).toBe(scales.length);
      expect(changes).toBe(scales.length);
    }
  });

  it('every policy stays within min and max replicas and drains the spike', () => {
    const { minReplicas, maxReplicas } = options.settings;
    for (const { series, scales } of run.results) {
      for (const point of series) {
        expect(point.replicas).toBeGreaterThanOrEqual(minReplicas);
        expect(point.replicas).toBeLessThanOrEqual(maxReplicas);
      }
      for (const scale of scales) {
        expect(scale.to).not.toBe(scale.from);
      }
      expect(series[series.length - 1]).toMatchObject({ backlog: expect.closeTo(0, 6), queueAgeSeconds: 0 });
    }
  });

  it('the hpa policy scales up during the spike and down after it, with the HPA reasons', () => {
    const hpa = run.results.find((result) => result.policy === 'hpa-cpu');
    const ups = hpa?.scales.filter((scale) => scale.to > scale.from) ?? [];
    const downs = hpa?.scales.filter((scale) => scale.to < scale.from) ?? [];
    expect(ups.length).toBeGreaterThan(0);
    expect(downs.length).toBeGreaterThan(0);
    // Scale-down waits out the 300 s stabilization window after the spike ends at 440 s.
    expect(Math.min(...downs.map((scale) => scale.t))).toBeGreaterThan(440 + 300 - 60);
    for (const scale of hpa?.scales ?? []) {
      expect(['DesiredWithinRange', 'ScaleUpLimit', 'TooManyReplicas', 'TooFewReplicas', 'ScaleDownStabilized']).toContain(scale.reason);
    }
  });

  it('writes the Markdown table, the SVG chart and the JSON figures', () => {
    const markdown = readFileSync(run.files.markdown, 'utf8');
    for (const result of run.results) {
      expect(markdown).toContain(`| ${summaryRow(result.policy, result.summary).join(' | ')} |`);
    }
    expect(markdown).toContain('![load, replicas and p95 latency over time](spike.svg)');

    const svg = readFileSync(run.files.svg, 'utf8');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    for (const result of run.results) {
      // One line for replicas and one for latency per policy.
      expect(svg.split(`data-policy="${result.policy}"`)).toHaveLength(3);
    }

    const json = JSON.parse(readFileSync(run.files.json, 'utf8'));
    expect(json.policies.map((policy: { summary: unknown }) => policy.summary)).toEqual(
      run.results.map((result) => result.summary),
    );
  });
});
