/** A small two-panel SVG bar chart: throughput and p95, before and after. No dependencies, opens in any browser. */
export interface ChartPhase {
  label: string;
  requestsPerSecond: number;
  p95Ms: number;
}

const WIDTH = 640;
const HEIGHT = 320;
const PANEL = 260;
const BAR = 70;
const COLORS = ['#b0b7c3', '#2f80ed'];

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
}

function panel(x: number, title: string, unit: string, values: Array<{ label: string; value: number }>): string {
  const max = Math.max(...values.map((v) => v.value), 1e-9);
  const top = 50;
  const height = 200;
  const bars = values
    .map((v, i) => {
      const h = (v.value / max) * height;
      const bx = x + 40 + i * (BAR + 40);
      return (
        `<rect x="${bx}" y="${top + height - h}" width="${BAR}" height="${h}" fill="${COLORS[i % COLORS.length]}"/>` +
        `<text x="${bx + BAR / 2}" y="${top + height - h - 6}" text-anchor="middle" font-size="12">${esc(`${Math.round(v.value).toLocaleString('en-US')} ${unit}`)}</text>` +
        `<text x="${bx + BAR / 2}" y="${top + height + 18}" text-anchor="middle" font-size="12">${esc(v.label)}</text>`
      );
    })
    .join('');
  return `<text x="${x + PANEL / 2}" y="30" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>${bars}`;
}

export function scalingChartSvg(phases: ChartPhase[]): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" font-family="sans-serif">` +
    `<rect width="100%" height="100%" fill="white"/>` +
    panel(20, 'Throughput (higher is better)', 'req/s', phases.map((p) => ({ label: p.label, value: p.requestsPerSecond }))) +
    panel(20 + PANEL + 60, 'p95 latency (lower is better)', 'ms', phases.map((p) => ({ label: p.label, value: p.p95Ms }))) +
    `</svg>\n`
  );
}
