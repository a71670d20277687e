// The formscale dashboard: polls /api/history and draws each chart on a canvas.
// No libraries and no CDN, so it works offline and inside a locked-down cluster.
'use strict';

// Often enough to feel live; the collector records a point every sample period anyway.
const REFRESH_MS = 2000;
// What the charts show; the collector keeps more (METRICS_HISTORY_MINUTES).
const SPAN_MS = 15 * 60 * 1000;
const COLORS = ['#4dabf7', '#ffa94d', '#69db7c', '#da77f2', '#ff8787', '#ffd43b', '#3bc9db', '#a9e34b'];

/** series: [{ name, points: [[at, value], ...] }] -> lines on the canvas; returns how many points it drew. */
function drawLines(canvas, series, { from, to, floor = 1, format = (v) => v.toFixed(1) }) {
  const { ctx, width, height } = prepare(canvas);
  const pad = { left: 48, right: 8, top: 8, bottom: 20 };
  const values = series.flatMap((line) => line.points.map(([, value]) => value));
  // A floor keeps an idle chart's scale sensible instead of magnifying noise.
  const max = Math.max(floor, ...values) * 1.1;
  axes(ctx, width, height, pad, max, from, to, format);
  let drawn = 0;
  series.forEach((line, index) => {
    const color = COLORS[index % COLORS.length];
    ctx.strokeStyle = color;
    ctx.fillStyle = color;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    line.points.forEach(([at, value], pointIndex) => {
      const x = pad.left + ((at - from) / (to - from)) * (width - pad.left - pad.right);
      const y = height - pad.bottom - (value / max) * (height - pad.top - pad.bottom);
      if (pointIndex === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
      drawn += 1;
    });
    ctx.stroke();
    const last = line.points.at(-1);
    if (last) {
      const x = pad.left + ((last[0] - from) / (to - from)) * (width - pad.left - pad.right);
      const y = height - pad.bottom - (last[1] / max) * (height - pad.top - pad.bottom);
      ctx.beginPath();
      ctx.arc(x, y, 2.5, 0, Math.PI * 2);
      ctx.fill();
    }
    ctx.fillText(line.name, pad.left + 6, pad.top + 12 + index * 13);
  });
  return drawn;
}

/** decisions -> one mark per decision on a time line, labelled target from->to; returns marks drawn. */
function drawTimeline(canvas, decisions, { from, to }) {
  const { ctx, width, height } = prepare(canvas);
  const pad = { left: 48, right: 8, top: 8, bottom: 20 };
  axes(ctx, width, height, pad, 0, from, to, () => '');
  const targets = [...new Set(decisions.map((decision) => decision.target))].sort();
  const rowHeight = (height - pad.top - pad.bottom) / Math.max(targets.length, 1);
  let drawn = 0;
  for (const decision of decisions) {
    if (decision.at < from) continue;
    const row = targets.indexOf(decision.target);
    const x = pad.left + ((decision.at - from) / (to - from)) * (width - pad.left - pad.right);
    const y = pad.top + rowHeight * (row + 0.5);
    ctx.fillStyle = decision.to > decision.from ? '#69db7c' : decision.to < decision.from ? '#ffa94d' : '#8a96a3';
    ctx.beginPath();
    ctx.arc(x, y, 4, 0, Math.PI * 2);
    ctx.fill();
    ctx.fillText(`${decision.target} ${decision.from}→${decision.to}`, Math.min(x + 6, width - 120), y - 6);
    drawn += 1;
  }
  return drawn;
}

function prepare(canvas) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth;
  const height = canvas.clientHeight;
  canvas.width = width * ratio;
  canvas.height = height * ratio;
  const ctx = canvas.getContext('2d');
  ctx.scale(ratio, ratio);
  ctx.clearRect(0, 0, width, height);
  ctx.font = '11px system-ui, sans-serif';
  return { ctx, width, height };
}

function axes(ctx, width, height, pad, max, from, to, format) {
  ctx.strokeStyle = '#2c343d';
  ctx.fillStyle = '#8a96a3';
  ctx.lineWidth = 1;
  for (let step = 0; step <= 4; step += 1) {
    const y = pad.top + ((height - pad.top - pad.bottom) * step) / 4;
    ctx.beginPath();
    ctx.moveTo(pad.left, y);
    ctx.lineTo(width - pad.right, y);
    ctx.stroke();
    if (max > 0) ctx.fillText(format(max * (1 - step / 4)), 4, y + 4);
  }
  const minutes = Math.round((to - from) / 60000);
  ctx.fillText(`-${minutes} min`, pad.left, height - 4);
  ctx.fillText('now', width - pad.right - 22, height - 4);
}

/** From history points, one line per key that pick() yields a number for. */
function linesFrom(points, pick) {
  const lines = new Map();
  for (const point of points) {
    for (const [name, value] of pick(point)) {
      if (typeof value !== 'number' || !Number.isFinite(value)) continue;
      if (!lines.has(name)) lines.set(name, []);
      lines.get(name).push([point.at, value]);
    }
  }
  return [...lines.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, points]) => ({ name, points }));
}

const perService = (field, scale = 1) => (point) =>
  Object.entries(point.services).map(([service, figures]) => [service, figures[field] === null ? NaN : figures[field] * scale]);

const CHARTS = {
  rate: { pick: perService('requestRate') },
  p95: { pick: perService('p95', 1000), floor: 10 },
  'db-p95': { pick: perService('dbP95', 1000), floor: 5 },
  errors: { pick: perService('errorRate', 100), floor: 0.5, format: (v) => v.toFixed(2) },
  instances: { pick: perService('instances'), floor: 4 },
  'queue-depth': {
    pick: (point) => Object.entries(point.queues).map(([queue, q]) => [queue, q.waiting + q.prioritized + q.delayed]),
    floor: 10,
  },
  'queue-age': { pick: (point) => Object.entries(point.queues).map(([queue, q]) => [queue, q.oldestAgeSeconds]), floor: 10 },
  cache: {
    floor: 100,
    pick: (point) =>
      Object.entries(point.services).flatMap(([service, figures]) =>
        Object.entries(figures.cacheHitRatio).map(([layer, ratio]) => [`${service} ${layer}`, ratio * 100]),
      ),
  },
};

function renderAlerts(alerts) {
  const list = document.getElementById('alert-list');
  list.replaceChildren(
    ...(alerts.length === 0
      ? [Object.assign(document.createElement('li'), { className: 'quiet', textContent: 'nothing firing' })]
      : alerts.map((alert) => Object.assign(document.createElement('li'), { textContent: `${alert.alert}: ${alert.summary}` }))),
  );
}

async function refresh() {
  const to = Date.now();
  const from = to - SPAN_MS;
  const response = await fetch(`/api/history?since=${from}`);
  if (!response.ok) throw new Error(`/api/history answered ${response.status}`);
  const history = await response.json();
  for (const canvas of document.querySelectorAll('canvas[data-chart]')) {
    const name = canvas.dataset.chart;
    const drawn =
      name === 'decisions'
        ? drawTimeline(canvas, history.decisions, { from, to })
        : drawLines(canvas, linesFrom(history.points, CHARTS[name].pick), { from, to, floor: CHARTS[name].floor, format: CHARTS[name].format });
    // Read by the browser test, and handy when debugging: how much each chart holds.
    canvas.dataset.points = String(drawn);
  }
  renderAlerts(history.alerts);
  document.getElementById('status').textContent = `updated ${new Date(history.at).toLocaleTimeString()}`;
}

async function loop() {
  try {
    await refresh();
  } catch (error) {
    document.getElementById('status').textContent = `not updated: ${error.message}`;
  }
  setTimeout(loop, REFRESH_MS);
}

loop();
