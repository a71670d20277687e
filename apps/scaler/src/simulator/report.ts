import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PolicyResult, SeriesPoint, SimulationSettings, Summary } from './simulate';
import { traceDuration, type Trace } from './traces';

/** The report of one simulation: a Markdown table and a hand-written SVG chart, no dependencies. */

export interface ReportFiles {
  markdown: string;
  svg: string;
  json: string;
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) {
    return `${round(seconds, 1)} s`;
  }
  const minutes = Math.floor(seconds / 60);
  const rest = Math.round(seconds - minutes * 60);
  if (minutes < 60) {
    return rest === 0 ? `${minutes} min` : `${minutes} min ${rest} s`;
  }
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${minutes - hours * 60} min`;
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

export function summaryRow(policy: string, summary: Summary): string[] {
  return [
    policy,
    round(summary.replicaMinutes, 1).toFixed(1),
    formatDuration(summary.secondsOverObjective),
    formatDuration(summary.peakQueueAgeSeconds),
    String(summary.scaleEvents),
    String(summary.peakReplicas),
  ];
}

export function renderTable(results: PolicyResult[], objectiveMs: number): string {
  const header = [
    'policy',
    'replica-minutes',
    `time over ${objectiveMs} ms p95`,
    'peak queue age',
    'scale events',
    'peak replicas',
  ];
  const rows = results.map((result) => summaryRow(result.policy, result.summary));
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map((_, index) => (index === 0 ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

export function renderMarkdown(trace: Trace, settings: SimulationSettings, results: PolicyResult[], svgName: string): string {
  const { service } = settings;
  return [
    `# Scaling simulation: ${trace.name}`,
    '',
    `Trace: ${trace.description} (${formatDuration(traceDuration(trace))}, peak ${Math.max(...trace.points.map((p) => p.rps))} req/s).`,
    '',
    `Service model: ${service.capacityPerReplica} req/s per ready replica, ${service.serviceTimeMs} ms service time, ` +
      `${service.startupSeconds} s start-up, replicas ${settings.minReplicas}..${settings.maxReplicas}, ` +
      `latency objective p95 <= ${settings.latencyObjectiveMs} ms, step ${settings.stepSeconds} s.`,
    '',
    renderTable(results, settings.latencyObjectiveMs),
    '',
    'Policies:',
    '',
    ...results.map((result) => `- \`${result.policy}\`: ${result.description}`),
    '',
    'Replica-minutes count every replica that exists, starting ones included. Time over the objective counts the',
    'steps in which the p95 latency of the requests completed was above it. Queue age is the wait of the oldest',
    'request not yet served.',
    '',
    `![load, replicas and p95 latency over time](${svgName})`,
    '',
  ].join('\n');
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e'];

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** At most `buckets` points: the maximum of each bucket, so that peaks survive. */
export function downsampleMax(series: SeriesPoint[], pick: (point: SeriesPoint) => number, buckets: number): Array<[number, number]> {
  if (series.length <= buckets) {
    return series.map((point) => [point.t, pick(point)]);
  }
  const size = series.length / buckets;
  const points: Array<[number, number]> = [];
  for (let bucket = 0; bucket < buckets; bucket++) {
    const from = Math.floor(bucket * size);
    const to = Math.min(series.length, Math.floor((bucket + 1) * size));
    let max = -Infinity;
    for (let index = from; index < to; index++) {
      max = Math.max(max, pick(series[index]));
    }
    points.push([series[from].t, max]);
  }
  return points;
}

interface Panel {
  title: string;
  top: number;
  height: number;
  /** Maps a value to a y coordinate. */
  y: (value: number) => number;
  ticks: Array<{ value: number; label: string }>;
}

const WIDTH = 960;
const LEFT = 70;
const RIGHT = 20;
const PANEL_HEIGHT = 170;
const GAP = 50;
const PLOT_WIDTH = WIDTH - LEFT - RIGHT;

function niceMax(value: number): number {
  if (value <= 0) {
    return 1;
  }
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * magnitude >= value) {
      return step * magnitude;
    }
  }
  return 10 * magnitude;
}

function linearPanel(title: string, top: number, max: number): Panel {
  const top10 = niceMax(max);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((share) => ({ value: share * top10, label: String(round(share * top10, 1)) }));
  return { title, top, height: PANEL_HEIGHT, y: (value) => top + PANEL_HEIGHT - (value / top10) * PANEL_HEIGHT, ticks };
}

function logPanel(title: string, top: number, min: number, max: number): Panel {
  const low = Math.log10(min);
  const high = Math.max(low + 1, Math.ceil(Math.log10(Math.max(max, min * 10))));
  const y = (value: number): number =>
    top + PANEL_HEIGHT - ((Math.log10(Math.max(value, min)) - low) / (high - low)) * PANEL_HEIGHT;
  const ticks: Panel['ticks'] = [];
  for (let power = Math.ceil(low); power <= high; power++) {
    const value = 10 ** power;
    ticks.push({ value, label: value >= 1000 ? `${value / 1000} s` : `${value} ms` });
  }
  return { title, top, height: PANEL_HEIGHT, y, ticks };
}

/** Time ticks at a round step (1 min .. 6 h) giving at most 10 intervals. */
export function timeTicks(duration: number): Array<{ t: number; label: string }> {
  const steps = [60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600];
  const step = steps.find((candidate) => duration / candidate <= 10) ?? Math.ceil(duration / 10);
  const inHours = duration > 4 * 3600;
  const ticks: Array<{ t: number; label: string }> = [];
  for (let t = 0; t <= duration; t += step) {
    ticks.push({ t, label: inHours ? `${round(t / 3600, 1)} h` : `${round(t / 60, 1)} min` });
  }
  return ticks;
}

function drawPanel(panel: Panel, duration: number): string[] {
  const parts: string[] = [];
  const bottom = panel.top + panel.height;
  parts.push(`<text x="${LEFT}" y="${panel.top - 8}" class="title">${escapeXml(panel.title)}</text>`);
  parts.push(`<rect x="${LEFT}" y="${panel.top}" width="${PLOT_WIDTH}" height="${panel.height}" class="frame"/>`);
  for (const tick of panel.ticks) {
    const y = panel.y(tick.value).toFixed(1);
    parts.push(`<line x1="${LEFT}" x2="${LEFT + PLOT_WIDTH}" y1="${y}" y2="${y}" class="grid"/>`);
    parts.push(`<text x="${LEFT - 6}" y="${y}" class="tick" text-anchor="end" dominant-baseline="middle">${tick.label}</text>`);
  }
  for (const tick of timeTicks(duration)) {
    const x = (LEFT + (tick.t / duration) * PLOT_WIDTH).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${panel.top}" y2="${bottom}" class="grid"/>`);
    parts.push(`<text x="${x}" y="${bottom + 14}" class="tick" text-anchor="middle">${tick.label}</text>`);
  }
  return parts;
}

function polyline(points: Array<[number, number]>, panel: Panel, duration: number, color: string, extra = ''): string {
  const coordinates = points
    .map(([t, value]) => `${(LEFT + (t / duration) * PLOT_WIDTH).toFixed(1)},${panel.y(value).toFixed(1)}`)
    .join(' ');
  return `<polyline points="${coordinates}" fill="none" stroke="${color}" stroke-width="1.5"${extra}/>`;
}

export function renderSvg(trace: Trace, settings: SimulationSettings, results: PolicyResult[]): string {
  const duration = traceDuration(trace);
  const buckets = PLOT_WIDTH;
  const legendHeight = 24 + 18 * results.length;
  const loadPanel = linearPanel('offered load (req/s)', legendHeight + 30, Math.max(...trace.points.map((p) => p.rps)));
  const replicaPanel = linearPanel(
    'replicas (all that exist, starting ones included)',
    loadPanel.top + PANEL_HEIGHT + GAP,
    Math.max(settings.maxReplicas, ...results.map((result) => result.summary.peakReplicas)),
  );
  const peakLatency = Math.max(settings.latencyObjectiveMs * 10, ...results.map((result) => result.summary.peakP95Ms));
  const latencyPanel = logPanel('p95 latency (log scale)', replicaPanel.top + PANEL_HEIGHT + GAP, 10, peakLatency);
  const height = latencyPanel.top + PANEL_HEIGHT + 30;

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif">`,
    '<style>.title{font-size:13px;font-weight:bold}.tick{font-size:10px;fill:#555}.legend{font-size:12px}' +
      '.frame{fill:none;stroke:#999}.grid{stroke:#e5e5e5}</style>',
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    `<text x="${LEFT}" y="18" class="title">${escapeXml(`Scaling simulation: ${trace.name}`)}</text>`,
  ];
  results.forEach((result, index) => {
    const y = 36 + 18 * index;
    const color = COLORS[index % COLORS.length];
    parts.push(`<line x1="${LEFT}" x2="${LEFT + 24}" y1="${y}" y2="${y}" stroke="${color}" stroke-width="3"/>`);
    parts.push(`<text x="${LEFT + 32}" y="${y + 4}" class="legend">${escapeXml(`${result.policy}: ${result.description}`)}</text>`);
  });

  parts.push(...drawPanel(loadPanel, duration));
  const loadPoints = trace.points.map((point): [number, number] => [point.t, point.rps]);
  parts.push(polyline(loadPoints, loadPanel, duration, '#333'));

  parts.push(...drawPanel(replicaPanel, duration));
  const maxY = replicaPanel.y(settings.maxReplicas).toFixed(1);
  parts.push(`<line x1="${LEFT}" x2="${LEFT + PLOT_WIDTH}" y1="${maxY}" y2="${maxY}" stroke="#333" stroke-dasharray="4 4"/>`);
  parts.push(`<text x="${LEFT + PLOT_WIDTH - 4}" y="${Number(maxY) - 4}" class="tick" text-anchor="end">maxReplicas ${settings.maxReplicas}</text>`);
  results.forEach((result, index) => {
    parts.push(
      polyline(downsampleMax(result.series, (p) => p.replicas, buckets), replicaPanel, duration, COLORS[index % COLORS.length], ` data-policy="${escapeXml(result.policy)}"`),
    );
  });

  parts.push(...drawPanel(latencyPanel, duration));
  const objectiveY = latencyPanel.y(settings.latencyObjectiveMs).toFixed(1);
  parts.push(`<line x1="${LEFT}" x2="${LEFT + PLOT_WIDTH}" y1="${objectiveY}" y2="${objectiveY}" stroke="#333" stroke-dasharray="4 4"/>`);
  parts.push(`<text x="${LEFT + PLOT_WIDTH - 4}" y="${Number(objectiveY) - 4}" class="tick" text-anchor="end">objective ${settings.latencyObjectiveMs} ms</text>`);
  results.forEach((result, index) => {
    parts.push(
      polyline(downsampleMax(result.series, (p) => p.p95Ms, buckets), latencyPanel, duration, COLORS[index % COLORS.length], ` data-policy="${escapeXml(result.policy)}"`),
    );
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

/** A file name from a trace name that came from a file: letters, digits, dot, dash and underscore only. */
export function safeFileName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'trace';
}

export function writeReport(outDir: string, trace: Trace, settings: SimulationSettings, results: PolicyResult[]): ReportFiles {
  mkdirSync(outDir, { recursive: true });
  const base = safeFileName(trace.name);
  const files: ReportFiles = {
    markdown: join(outDir, `${base}.md`),
    svg: join(outDir, `${base}.svg`),
    json: join(outDir, `${base}.json`),
  };
  writeFileSync(files.svg, renderSvg(trace, settings, results));
  writeFileSync(files.markdown, renderMarkdown(trace, settings, results, `${base}.svg`));
  const summary = {
    trace: { name: trace.name, description: trace.description, durationSeconds: traceDuration(trace) },
    settings,
    policies: results.map((result) => ({
      policy: result.policy,
      description: result.description,
      summary: result.summary,
      scales: result.scales,
    })),
  };
  writeFileSync(files.json, JSON.stringify(summary, null, 2) + '\n');
  return files;
}
