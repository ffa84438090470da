const NS = 'http://www.w3.org/2000/svg';

/** An SVG element with its attributes. */
export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | number> = {},
  text?: string,
): SVGElementTagNameMap[K] {
  const element = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

/**
 * A sparkline: `values` (oldest first, at times `times`) over the last `windowMs` at most, scaled to 0..`max`,
 * as a polyline in a `width` x `height` box.
 */
export function sparkline(
  times: number[],
  values: number[],
  options: { width: number; height: number; max: number; windowMs: number; now: number; className: string },
): SVGSVGElement {
  const { width, height, max, windowMs, now } = options;
  const box = svg('svg', {
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    class: `spark ${options.className}`,
    preserveAspectRatio: 'none',
  });
  box.append(svg('rect', { x: 0, y: 0, width, height, class: 'spark-bg' }));
  // A young chart spans what it has (at least 20 s), so that its first seconds are not a sliver at the edge.
  const span = Math.min(windowMs, Math.max(20_000, now - (times[0] ?? now)));
  const points: string[] = [];
  for (let i = 0; i < values.length; i++) {
    const x = width - ((now - times[i]!) / span) * width;
    if (x < 0) continue;
    const y = height - 1 - (Math.min(values[i]!, max) / (max || 1)) * (height - 2);
    points.push(`${x.toFixed(1)},${y.toFixed(1)}`);
  }
  if (points.length > 0) {
    box.append(svg('polyline', { points: points.join(' '), class: 'spark-line', fill: 'none' }));
  }
  return box;
}
