'use client';
/**
 * A figure with a title, an HTML legend, and SVG / PNG downloads. The download serialises the
 * chart's own <svg> (recharts draws one), adds the title, legend and footer lines as SVG text so
 * the file stands alone, and for PNG draws that SVG onto a canvas at twice the size.
 */
import { useRef, useState, type ReactNode } from 'react';

export interface LegendItem {
  label: string;
  color: string;
  dashed?: boolean;
}

const FONT = 'system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Build a standalone SVG document from the chart's SVG element. */
export function composeFigureSvg(
  chart: SVGSVGElement,
  { title, legend, footer }: { title: string; legend: LegendItem[]; footer: string[] },
): { svg: string; width: number; height: number } {
  const rect = chart.getBoundingClientRect();
  const w = Math.round(Number(chart.getAttribute('width')) || rect.width || 640);
  const h = Math.round(Number(chart.getAttribute('height')) || rect.height || 360);
  const top = 34;
  const legendRows = Math.ceil(legend.length / 2);
  const legendTop = top + h + 10;
  const footerTop = legendTop + legendRows * 20 + 10;
  const height = footerTop + footer.length * 18 + 10;
  const clone = chart.cloneNode(true) as SVGSVGElement;
  clone.setAttribute('x', '0');
  clone.setAttribute('y', String(top));
  clone.setAttribute('width', String(w));
  clone.setAttribute('height', String(h));
  clone.removeAttribute('style');
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${w}" height="${height}" viewBox="0 0 ${w} ${height}" font-family="${FONT}" font-size="12">`,
    `<rect x="0" y="0" width="${w}" height="${height}" fill="#ffffff"/>`,
    `<text x="12" y="22" font-size="15" font-weight="600" fill="#1b1f24">${esc(title)}</text>`,
    new XMLSerializer().serializeToString(clone),
  ];
  legend.forEach((item, k) => {
    const x = 16 + (k % 2) * (w / 2);
    const y = legendTop + Math.floor(k / 2) * 20;
    parts.push(
      `<line x1="${x}" y1="${y + 6}" x2="${x + 24}" y2="${y + 6}" stroke="${item.color}" stroke-width="3"${item.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      `<text x="${x + 32}" y="${y + 10}" fill="#1b1f24">${esc(item.label)}</text>`,
    );
  });
  footer.forEach((line, k) =>
    parts.push(
      `<text x="12" y="${footerTop + k * 18 + 12}" fill="#1b1f24" font-family="ui-monospace, Menlo, Consolas, monospace" xml:space="preserve">${esc(line)}</text>`,
    ),
  );
  parts.push('</svg>');
  return { svg: parts.join(''), width: w, height };
}

function download(blob: Blob, name: string) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function FigureFrame({
  title,
  fileName,
  legend,
  footer = [],
  testId,
  children,
}: {
  title: string;
  fileName: string;
  legend: LegendItem[];
  /** Extra lines written under the figure in downloads (for example the number at risk). */
  footer?: string[];
  testId?: string;
  children: ReactNode;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<string | null>(null);
  const chartSvg = (): SVGSVGElement | null => ref.current?.querySelector('svg.recharts-surface') ?? ref.current?.querySelector('svg') ?? null;

  const saveSvg = () => {
    const el = chartSvg();
    if (!el) return setError('The chart has not been drawn yet.');
    const { svg } = composeFigureSvg(el, { title, legend, footer });
    download(new Blob([svg], { type: 'image/svg+xml' }), `${fileName}.svg`);
  };
  const savePng = () => {
    const el = chartSvg();
    if (!el) return setError('The chart has not been drawn yet.');
    const { svg, width, height } = composeFigureSvg(el, { title, legend, footer });
    const url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
    const img = new Image();
    img.onload = () => {
      const scale = 2;
      const canvas = document.createElement('canvas');
      canvas.width = width * scale;
      canvas.height = height * scale;
      const ctx = canvas.getContext('2d')!;
      ctx.scale(scale, scale);
      ctx.drawImage(img, 0, 0, width, height);
      URL.revokeObjectURL(url);
      canvas.toBlob((b) => (b ? download(b, `${fileName}.png`) : setError('The browser could not encode the PNG.')), 'image/png');
    };
    img.onerror = () => {
      URL.revokeObjectURL(url);
      setError('The browser could not render the figure for the PNG.');
    };
    img.src = url;
  };

  return (
    <figure style={{ margin: 0 }} data-testid={testId}>
      <figcaption style={{ display: 'flex', alignItems: 'center', gap: '0.75rem', flexWrap: 'wrap' }}>
        <strong style={{ flex: 1 }}>{title}</strong>
        <button type="button" className="secondary" onClick={saveSvg}>
          Download SVG
        </button>
        <button type="button" className="secondary" onClick={savePng}>
          Download PNG
        </button>
      </figcaption>
      <div ref={ref}>{children}</div>
      <ul style={{ listStyle: 'none', padding: 0, margin: '0.25rem 0 0', display: 'flex', flexWrap: 'wrap', gap: '0.4rem 1.25rem', fontSize: '0.9rem' }}>
        {legend.map((item) => (
          <li key={item.label} style={{ display: 'flex', alignItems: 'center', gap: '0.4rem' }}>
            <svg width="26" height="10" aria-hidden="true">
              <line x1="1" y1="5" x2="25" y2="5" stroke={item.color} strokeWidth="3" strokeDasharray={item.dashed ? '6 4' : undefined} />
            </svg>
            {item.label}
          </li>
        ))}
      </ul>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </figure>
  );
}
