import type { DashboardNode, DashboardRegion } from '../../src/dashboard/wire.js';
import { svg } from './svg.js';

// The continents in a few dozen points each (lon, lat): enough to see where a region is, no more.
// biome-ignore format: one point per line would make the outline hundreds of lines long
const LAND: number[][][] = [
  // North America
  [
    [-166, 68], [-140, 70], [-110, 73], [-85, 70], [-65, 62], [-56, 52], [-66, 44], [-75, 38], [-81, 31],
    [-80, 25], [-84, 30], [-97, 27], [-97, 21], [-88, 21], [-87, 15], [-78, 8], [-85, 10], [-92, 15],
    [-105, 20], [-112, 30], [-117, 32], [-124, 40], [-124, 48], [-135, 58], [-150, 60], [-165, 60],
  ],
  // Greenland
  [[-73, 78], [-45, 83], [-20, 82], [-20, 70], [-43, 60], [-55, 65]],
  // South America
  [
    [-78, 8], [-60, 10], [-50, 0], [-35, -6], [-40, -22], [-48, -28], [-58, -38], [-65, -42], [-68, -55],
    [-75, -50], [-72, -30], [-70, -18], [-81, -5], [-80, 2],
  ],
  // Eurasia
  [
    [-10, 36], [-9, 43], [-2, 44], [-5, 48], [2, 51], [8, 54], [10, 57], [5, 58], [8, 63], [15, 69], [28, 71],
    [40, 67], [60, 69], [80, 73], [100, 77], [112, 74], [140, 72], [160, 70], [180, 69], [180, 65], [170, 60],
    [163, 56], [156, 51], [142, 59], [135, 54], [141, 46], [132, 43], [128, 39], [126, 35], [121, 40],
    [122, 30], [118, 24], [110, 21], [108, 16], [109, 11], [105, 9], [100, 13], [101, 3], [104, 1], [98, 8],
    [98, 16], [94, 16], [90, 22], [86, 20], [80, 15], [78, 8], [73, 18], [67, 25], [57, 25], [52, 27],
    [48, 30], [50, 25], [56, 26], [59, 22], [52, 16], [44, 12], [43, 17], [35, 28], [34, 31], [36, 36],
    [28, 37], [26, 40], [23, 38], [22, 40], [19, 42], [13, 45], [16, 41], [12, 38], [10, 44], [3, 43],
    [-2, 37], [-6, 36],
  ],
  // Africa
  [
    [-17, 21], [-10, 31], [-6, 36], [10, 37], [11, 33], [20, 31], [32, 31], [34, 28], [43, 12], [51, 12],
    [44, 2], [40, -5], [40, -15], [35, -24], [32, -29], [20, -35], [18, -30], [12, -17], [13, -7], [9, -1],
    [9, 4], [3, 6], [-8, 4], [-13, 8], [-17, 14],
  ],
  // Australia
  [
    [114, -22], [122, -18], [130, -12], [137, -12], [142, -11], [146, -19], [153, -25], [151, -34],
    [146, -39], [138, -35], [131, -31], [115, -34],
  ],
  // Great Britain, Japan, Borneo, Sumatra, New Zealand, Madagascar
  [[-5, 50], [1, 51], [0, 53], [-2, 56], [-3, 58.5], [-6, 57], [-5, 54], [-3, 54]],
  [[130, 31], [135, 34], [140, 35], [141, 41], [145, 44], [141, 45], [139, 38], [133, 35]],
  [[109, 2], [117, 7], [119, 1], [116, -4], [110, -3]],
  [[95, 5], [106, -6], [102, -4], [98, 1]],
  [[172, -34], [178, -38], [174, -42], [167, -46], [171, -42]],
  [[49, -12], [50, -16], [47, -25], [44, -22], [44, -16]],
];

/** Equirectangular: 2 units a degree, 720 x 360 for the globe. */
function project(lon: number, lat: number): [number, number] {
  return [(lon + 180) * 2, (90 - lat) * 2];
}

/** The worst state of a region's nodes decides its dot's colour. */
function regionState(nodes: DashboardNode[]): string {
  if (nodes.length === 0) return 'empty';
  if (nodes.some((node) => !node.alive)) return 'dead';
  if (nodes.some((node) => node.state !== 'serving')) return 'draining';
  return 'serving';
}

/** The map's shape (viewBox units per unit of height), as the page lays it out. */
const ASPECT = 720 / 280;

/**
 * The part of the world the regions are in, with a margin, at least 150 degrees wide, in the map's
 * shape: the regions spread over the map instead of huddling in one corner of the world.
 */
function fit(points: Array<[number, number]>): { x: number; y: number; width: number; height: number } {
  if (points.length === 0) return { x: 0, y: 20, width: 720, height: 280 };
  const xs = points.map(([x]) => x);
  const ys = points.map(([, y]) => y);
  const cx = (Math.min(...xs) + Math.max(...xs)) / 2;
  const cy = (Math.min(...ys) + Math.max(...ys)) / 2;
  let width = Math.max(300, (Math.max(...xs) - Math.min(...xs)) * 1.6);
  let height = Math.max(width / ASPECT, (Math.max(...ys) - Math.min(...ys)) * 1.6);
  width = Math.min(720, Math.max(width, height * ASPECT));
  height = Math.min(360, width / ASPECT);
  const x = Math.min(720 - width, Math.max(0, cx - width / 2));
  const y = Math.min(360 - height, Math.max(0, cy - height / 2));
  return { x, y, width, height };
}

/** Draws the world outline once and the regions with their nodes on every snapshot. */
export class RegionMap {
  private readonly layer: SVGGElement;

  constructor(private readonly root: SVGSVGElement) {
    const base = svg('g', { class: 'base' });
    for (let lon = -180; lon <= 180; lon += 30) {
      const [x] = project(lon, 0);
      base.append(svg('line', { x1: x, y1: 0, x2: x, y2: 360, class: 'graticule' }));
    }
    for (let lat = -60; lat <= 90; lat += 30) {
      const [, y] = project(0, lat);
      base.append(svg('line', { x1: 0, y1: y, x2: 720, y2: y, class: 'graticule' }));
    }
    for (const shape of LAND) {
      const points = shape.map(([lon, lat]) => project(lon!, lat!).join(',')).join(' ');
      base.append(svg('polygon', { points, class: 'land' }));
    }
    this.layer = svg('g', { class: 'regions' });
    root.append(base, this.layer);
  }

  render(regions: DashboardRegion[], nodes: DashboardNode[]): void {
    this.layer.replaceChildren();
    const placed = regions.filter((region) => region.lat !== undefined && region.lon !== undefined);
    const view = fit(placed.map((region) => project(region.lon!, region.lat!)));
    this.root.setAttribute('viewBox', `${view.x} ${view.y} ${view.width} ${view.height}`);
    // Sizes in viewBox units: keep dots and labels the same size on screen however far the map zooms.
    const unit = view.width / 720;
    for (const region of placed) {
      const members = nodes.filter((node) => node.region === region.name);
      const [x, y] = project(region.lon!, region.lat!);
      const group = svg('g', {
        class: `region state-${regionState(members)}`,
        'data-region': region.name,
        'data-nodes': members.length,
      });
      const ring = (members.length > 0 ? 8 + members.length * 2 : 6) * unit;
      group.append(svg('circle', { cx: x, cy: y, r: ring }));
      // One small dot per node around the region, coloured by its own state.
      members.forEach((node, i) => {
        const angle = (i / Math.max(members.length, 1)) * Math.PI * 2 - Math.PI / 2;
        const r = ring + 4 * unit;
        group.append(
          svg('circle', {
            cx: (x + Math.cos(angle) * r).toFixed(1),
            cy: (y + Math.sin(angle) * r).toFixed(1),
            r: 4 * unit,
            class: `node-dot state-${node.alive ? node.state : 'dead'}`,
          }),
        );
      });
      const rooms = members.reduce((sum, node) => sum + node.rooms, 0);
      const label = `${region.name} · ${members.length} node${members.length === 1 ? '' : 's'}, ${rooms} room${rooms === 1 ? '' : 's'}`;
      group.append(
        svg(
          'text',
          {
            x,
            y: y + ring + 18 * unit,
            'text-anchor': 'middle',
            'font-size': (11 * unit).toFixed(2),
            'stroke-width': (3 * unit).toFixed(2),
            class: 'region-label',
          },
          label,
        ),
      );
      const title = svg('title', {}, label);
      group.append(title);
      this.layer.append(group);
    }
    this.root.dataset.regions = String(placed.length);
  }
}
