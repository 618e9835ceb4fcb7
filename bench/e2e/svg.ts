/**
 * Small SVG charts for the report, written by hand (no plotting dependency): a line chart of series
 * over the evaluated window and a horizontal bar chart. Deterministic output for the same input.
 */

export interface Series {
  name: string;
  values: readonly number[];
  color: string;
}

export const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

const W = 760;
const H = 300;
const M = { left: 64, right: 160, top: 28, bottom: 40 };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v: number) =>
  Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);

function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** Lines over x = 0..n-1 (minutes of the window), y from 0 to the largest value. */
export function lineChart(title: string, xLabel: string, yLabel: string, series: readonly Series[]): string {
  const n = Math.max(1, ...series.map((s) => s.values.length));
  const ymax = niceMax(Math.max(0, ...series.flatMap((s) => s.values.filter(Number.isFinite))));
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const x = (i: number) => M.left + (n <= 1 ? 0 : (i / (n - 1)) * pw);
  const y = (v: number) => M.top + ph - (v / ymax) * ph;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${M.left}" y="16" font-size="13" font-weight="bold">${esc(title)}</text>`,
  ];
  for (let k = 0; k <= 4; k++) {
    const v = (ymax * k) / 4;
    out.push(
      `<line x1="${M.left}" x2="${M.left + pw}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#ddd"/>`,
      `<text x="${M.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${fmt(v)}</text>`,
    );
  }
  for (let k = 0; k <= 6; k++) {
    const i = Math.round(((n - 1) * k) / 6);
    out.push(`<text x="${x(i).toFixed(1)}" y="${H - M.bottom + 16}" text-anchor="middle">${i}</text>`);
  }
  out.push(
    `<text x="${M.left + pw / 2}" y="${H - 6}" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text x="14" y="${M.top + ph / 2}" text-anchor="middle" transform="rotate(-90 14 ${M.top + ph / 2})">${esc(yLabel)}</text>`,
    `<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`,
  );
  series.forEach((s, si) => {
    const pts = s.values
      .map((v, i) => `${x(i).toFixed(1)},${y(Number.isFinite(v) ? v : 0).toFixed(1)}`)
      .join(' ');
    out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1.5" points="${pts}"/>`);
    const ly = M.top + 12 + si * 16;
    out.push(
      `<line x1="${W - M.right + 10}" x2="${W - M.right + 30}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"/>`,
      `<text x="${W - M.right + 36}" y="${ly}">${esc(s.name)}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

export interface Bar {
  label: string;
  value: number;
  color: string;
}

/** Horizontal bars, one per label, with the value printed. */
export function barChart(title: string, unit: string, bars: readonly Bar[]): string {
  const rowH = 26;
  const h = 40 + bars.length * rowH + 20;
  const left = 150;
  const pw = W - left - 90;
  const vmax = niceMax(Math.max(0, ...bars.map((b) => b.value)));
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${h}" viewBox="0 0 ${W} ${h}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${h}" fill="white"/>`,
    `<text x="10" y="18" font-size="13" font-weight="bold">${esc(title)}</text>`,
  ];
  bars.forEach((b, i) => {
    const y0 = 34 + i * rowH;
    const w = vmax > 0 ? (Math.max(0, b.value) / vmax) * pw : 0;
    out.push(
      `<text x="${left - 8}" y="${y0 + 14}" text-anchor="end">${esc(b.label)}</text>`,
      `<rect x="${left}" y="${y0}" width="${w.toFixed(1)}" height="${rowH - 8}" fill="${b.color}"/>`,
      `<text x="${(left + w + 6).toFixed(1)}" y="${y0 + 14}">${fmt(b.value)} ${esc(unit)}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
