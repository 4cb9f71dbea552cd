/**
 * Small SVG charts, hand-written (no chart library, nothing from a CDN).
 * Readable without colour: every series has its own dash pattern and point
 * marker, the legend repeats both next to the series' name and numbers, each
 * point carries a <title> (its time and value, shown on hover and read by
 * screen readers), and each chart has a <title> and a <desc> summing it up.
 * The figures drawn are also in data-* attributes, so a test can check the
 * drawing against the API that fed it.
 */
const SVG = 'http://www.w3.org/2000/svg';

export type Dash = 'solid' | 'dashed' | 'dotted' | 'dashdot';
export type Marker = 'circle' | 'square' | 'triangle' | 'cross';
/** `counts`: values are counts per bucket (the legend then gives their total); otherwise levels (the legend gives latest and peak). */
export interface Series { key: string; label: string; values: (number | null)[]; dash: Dash; marker: Marker; colour: string; counts?: boolean }

const DASHES: Record<Dash, string> = { solid: '', dashed: '6 4', dotted: '1.5 3', dashdot: '8 3 2 3' };
const WIDTH = 720;
const HEIGHT = 200;
const PAD = { left: 40, right: 12, top: 12, bottom: 26 };

function svg(tag: string, attrs: Record<string, string | number> = {}, ...children: (Node | string)[]): SVGElement {
  const element = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) element.setAttribute(key, String(value));
  element.append(...children);
  return element;
}

const clock = (iso: string) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

/** A small axis top: 1, 2, 5 × 10^n at or above the largest value (at least 1). */
function niceTop(max: number): number {
  if (max <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  return [1, 2, 5, 10].map((step) => step * power).find((top) => top >= max)!;
}

function marker(shape: Marker, x: number, y: number, colour: string): SVGElement {
  const style = { stroke: colour, 'stroke-width': 1.5 };
  if (shape === 'circle') return svg('circle', { cx: x, cy: y, r: 3, fill: colour, ...style });
  if (shape === 'square') return svg('rect', { x: x - 3, y: y - 3, width: 6, height: 6, fill: 'white', ...style });
  if (shape === 'triangle') return svg('path', { d: `M${x} ${y - 4}L${x + 4} ${y + 3}L${x - 4} ${y + 3}Z`, fill: colour, ...style });
  return svg('path', { d: `M${x - 3} ${y - 3}L${x + 3} ${y + 3}M${x - 3} ${y + 3}L${x + 3} ${y - 3}`, fill: 'none', ...style });
}

/** A line chart over time: one line per series, a gap where a value is null. */
export function lineChart(input: { id: string; title: string; times: string[]; series: Series[]; unit: string }): HTMLElement {
  const { times, series } = input;
  const top = niceTop(Math.max(0, ...series.flatMap((s) => s.values.filter((v): v is number => v !== null))));
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (times.length <= 1 ? plotWidth : (i * plotWidth) / (times.length - 1));
  const y = (v: number) => PAD.top + plotHeight - (v * plotHeight) / top;

  const grid = svg('g', { class: 'axis', 'aria-hidden': 'true' });
  // Whole numbers only: the figures are counts of workers and tasks.
  for (const tick of Number.isInteger(top / 2) ? [0, top / 2, top] : [0, top]) {
    grid.append(svg('line', { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(tick), y2: y(tick), stroke: '#ccc' }));
    grid.append(svg('text', { x: PAD.left - 6, y: y(tick) + 4, 'text-anchor': 'end' }, String(tick)));
  }
  for (const i of [0, Math.floor((times.length - 1) / 2), times.length - 1]) {
    if (times[i]) grid.append(svg('text', { x: x(i), y: HEIGHT - 8, 'text-anchor': i === 0 ? 'start' : i === times.length - 1 ? 'end' : 'middle' }, clock(times[i])));
  }

  const lines = series.map((s) => {
    const group = svg('g', { class: 'series', 'data-series': s.key, 'data-values': s.values.map((v) => (v === null ? '' : v)).join(',') });
    let path = '';
    s.values.forEach((v, i) => {
      if (v === null) return;
      path += `${path && s.values[i - 1] !== null && i > 0 ? 'L' : 'M'}${x(i).toFixed(1)} ${y(v).toFixed(1)}`;
    });
    group.append(svg('path', { d: path, fill: 'none', stroke: s.colour, 'stroke-width': 2, 'stroke-dasharray': DASHES[s.dash] }));
    s.values.forEach((v, i) => {
      // A marker where the line changes (and at its ends): its shape names the line, a lone
      // value between gaps still shows, and long flat stretches stay uncluttered.
      if (v === null) return;
      const before = i > 0 ? s.values[i - 1] : null;
      const after = i < s.values.length - 1 ? s.values[i + 1] : null;
      if (before === v && after === v) return;
      const point = marker(s.marker, x(i), y(v), s.colour);
      point.append(svg('title', {}, `${clock(times[i])} ${s.label}: ${v}`));
      group.append(point);
    });
    return group;
  });

  const legend = document.createElement('ul');
  legend.className = 'legend';
  for (const s of series) {
    const known = s.values.filter((v): v is number => v !== null);
    const item = document.createElement('li');
    item.dataset.series = s.key;
    const sample = svg('svg', { width: 36, height: 12, 'aria-hidden': 'true' },
      svg('line', { x1: 2, x2: 34, y1: 6, y2: 6, stroke: s.colour, 'stroke-width': 2, 'stroke-dasharray': DASHES[s.dash] }), marker(s.marker, 18, 6, s.colour));
    const latest = known.length ? known[known.length - 1] : '—';
    const figures = s.counts ? `total ${known.reduce((a, b) => a + b, 0)}, latest ${latest}` : `latest ${latest}, peak ${known.length ? Math.max(...known) : '—'}`;
    item.append(sample, ` ${s.label}: ${figures}`);
    legend.append(item);
  }

  const summary = series.map((s) => {
    const known = s.values.filter((v): v is number => v !== null);
    return `${s.label} latest ${known.length ? known[known.length - 1] : 'none'}`;
  }).join('; ');
  const chart = svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-labelledby': `${input.id}-title ${input.id}-desc`, class: 'chart', 'data-times': times.join(',') },
    svg('title', { id: `${input.id}-title` }, input.title),
    svg('desc', { id: `${input.id}-desc` }, `${input.unit} per minute from ${times[0] ? clock(times[0]) : '—'} to ${times.length ? clock(times[times.length - 1]) : '—'}: ${summary}.`),
    grid, ...lines);
  return captioned(input.id, input.title, chart, legend);
}

export interface Part { key: string; label: string; count: number; pattern: 'solid' | 'hatch' | 'dots' | 'cross' | 'empty' }

/** One bar split by parts (a task group's tasks by status), each part patterned and labelled with its count. */
export function progressBar(input: { id: string; title: string; parts: Part[] }): HTMLElement {
  const total = input.parts.reduce((sum, p) => sum + p.count, 0);
  const patterns = svg('defs', {},
    svg('pattern', { id: `${input.id}-hatch`, width: 6, height: 6, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' }, svg('rect', { width: 6, height: 6, fill: 'white' }), svg('line', { x1: 0, y1: 0, x2: 0, y2: 6, stroke: '#333', 'stroke-width': 2 })),
    svg('pattern', { id: `${input.id}-dots`, width: 5, height: 5, patternUnits: 'userSpaceOnUse' }, svg('rect', { width: 5, height: 5, fill: 'white' }), svg('circle', { cx: 2.5, cy: 2.5, r: 1.2, fill: '#333' })),
    svg('pattern', { id: `${input.id}-cross`, width: 6, height: 6, patternUnits: 'userSpaceOnUse' }, svg('rect', { width: 6, height: 6, fill: 'white' }), svg('path', { d: 'M0 0L6 6M6 0L0 6', stroke: '#333', 'stroke-width': 1 })),
  );
  const fill = (p: Part) => (p.pattern === 'solid' ? '#444' : p.pattern === 'empty' ? 'white' : `url(#${input.id}-${p.pattern})`);
  const bar = svg('g', {});
  let at = 0;
  for (const part of input.parts) {
    const width = total === 0 ? 0 : (part.count * WIDTH) / total;
    const rect = svg('rect', { x: at, y: 0, width, height: 28, fill: fill(part), stroke: '#333', 'data-part': part.key, 'data-count': part.count });
    rect.append(svg('title', {}, `${part.label}: ${part.count} of ${total}`));
    bar.append(rect);
    at += width;
  }
  const chart = svg('svg', { viewBox: `0 0 ${WIDTH} 30`, role: 'img', 'aria-labelledby': `${input.id}-title ${input.id}-desc`, class: 'chart progress', 'data-total': total },
    svg('title', { id: `${input.id}-title` }, input.title),
    svg('desc', { id: `${input.id}-desc` }, input.parts.map((p) => `${p.label} ${p.count}`).join(', ') + ` of ${total}`),
    patterns, bar);
  const legend = document.createElement('ul');
  legend.className = 'legend';
  for (const part of input.parts) {
    const item = document.createElement('li');
    item.dataset.part = part.key;
    item.append(svg('svg', { width: 14, height: 14, 'aria-hidden': 'true' }, svg('rect', { x: 1, y: 1, width: 12, height: 12, fill: fill(part), stroke: '#333' })), ` ${part.label}: ${part.count}`);
    legend.append(item);
  }
  // The legend's swatches use the patterns defined in the bar's svg (ids are document-wide).
  return captioned(input.id, input.title, chart, legend);
}

/** A chart and its legend as a <figure> with the title as its caption. */
function captioned(id: string, title: string, chart: Element, legend: HTMLElement): HTMLElement {
  const figure = document.createElement('figure');
  figure.id = id;
  const caption = document.createElement('figcaption');
  caption.textContent = title;
  figure.append(caption, chart, legend);
  return figure;
}
