/**
 * A small line chart as a standalone SVG (no dependencies): categories along x
 * (evenly spaced, e.g. 1, 2, 4, 8 workers), values up y from 0, one line per
 * series, a legend. Enough for the benches' curves, readable on GitHub.
 */

export interface Series {
  name: string;
  /** One value per category; undefined leaves a gap. */
  values: (number | undefined)[];
}

export interface Chart {
  title: string;
  xLabel: string;
  yLabel: string;
  categories: string[];
  series: Series[];
}

const WIDTH = 640;
const HEIGHT = 380;
const MARGIN = { top: 48, right: 180, bottom: 56, left: 72 };
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];

export function lineChart(chart: Chart): string {
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const max = niceCeiling(Math.max(1, ...chart.series.flatMap((s) => s.values.filter((v): v is number => v !== undefined))));
  const x = (i: number) => MARGIN.left + (chart.categories.length === 1 ? plotW / 2 : (i * plotW) / (chart.categories.length - 1));
  const y = (v: number) => MARGIN.top + plotH - (v / max) * plotH;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>`,
    `<text x="${WIDTH / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${escape(chart.title)}</text>`,
  ];
  // Horizontal grid lines with their values.
  for (let step = 0; step <= 5; step++) {
    const value = (max * step) / 5;
    parts.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${y(value)}" y2="${y(value)}" stroke="#ddd"/>`,
      `<text x="${MARGIN.left - 8}" y="${y(value) + 4}" text-anchor="end">${formatNumber(value)}</text>`,
    );
  }
  chart.categories.forEach((category, i) => {
    parts.push(`<text x="${x(i)}" y="${MARGIN.top + plotH + 18}" text-anchor="middle">${escape(category)}</text>`);
  });
  parts.push(
    `<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${MARGIN.top + plotH}" stroke="#333"/>`,
    `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH}" stroke="#333"/>`,
    `<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 14}" text-anchor="middle">${escape(chart.xLabel)}</text>`,
    `<text transform="translate(18 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escape(chart.yLabel)}</text>`,
  );
  chart.series.forEach((series, index) => {
    const color = COLORS[index % COLORS.length];
    // Consecutive defined points form one path; a gap starts a new one.
    let path = '';
    series.values.forEach((value, i) => {
      if (value === undefined) return;
      path += `${path === '' || series.values[i - 1] === undefined ? 'M' : 'L'}${x(i).toFixed(1)} ${y(value).toFixed(1)} `;
      parts.push(`<circle cx="${x(i).toFixed(1)}" cy="${y(value).toFixed(1)}" r="3.5" fill="${color}"><title>${escape(`${series.name}, ${chart.categories[i]}: ${formatNumber(value)}`)}</title></circle>`);
    });
    if (path) parts.push(`<path d="${path.trim()}" fill="none" stroke="${color}" stroke-width="2"/>`);
    const legendY = MARGIN.top + 8 + index * 20;
    parts.push(
      `<line x1="${WIDTH - MARGIN.right + 16}" x2="${WIDTH - MARGIN.right + 40}" y1="${legendY}" y2="${legendY}" stroke="${color}" stroke-width="2"/>`,
      `<text x="${WIDTH - MARGIN.right + 46}" y="${legendY + 4}">${escape(series.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

/** The smallest 1, 2 or 5 times a power of ten at or above `value`: round grid values. */
function niceCeiling(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  for (const factor of [1, 2, 5, 10]) if (factor * power >= value) return factor * power;
  return 10 * power;
}

function formatNumber(value: number): string {
  return value >= 1000 ? `${Math.round(value / 100) / 10}k`.replace('.0k', 'k') : String(Math.round(value * 10) / 10);
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
