// The loss plot: an SVG line of the loss per step (light) and its running mean (dark), redrawn as
// steps arrive. Plain DOM, no library.
const NS = 'http://www.w3.org/2000/svg';
const W = 560;
const H = 220;
const PAD = { left: 44, right: 10, top: 10, bottom: 26 };

export class LossPlot {
  private readonly raw: SVGPathElement;
  private readonly smooth: SVGPathElement;
  private readonly axes: SVGGElement;
  private readonly losses: number[] = [];
  private readonly means: number[] = [];

  constructor(readonly svg: SVGSVGElement) {
    svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
    this.axes = svg.appendChild(document.createElementNS(NS, 'g'));
    this.raw = svg.appendChild(document.createElementNS(NS, 'path'));
    this.raw.setAttribute('class', 'raw');
    this.smooth = svg.appendChild(document.createElementNS(NS, 'path'));
    this.smooth.setAttribute('class', 'smooth');
  }

  /** Adds one step's loss (the running mean is exponential, 0.9 of the last mean). */
  add(loss: number): void {
    const last = this.means.at(-1);
    this.losses.push(loss);
    this.means.push(last === undefined ? loss : 0.9 * last + 0.1 * loss);
  }

  /** The latest running mean (what the page reports as "the loss"). */
  get mean(): number | undefined {
    return this.means.at(-1);
  }

  draw(): void {
    const n = this.losses.length;
    if (n === 0) return;
    const hi = Math.max(...this.losses);
    const lo = Math.min(0, ...this.losses);
    const x = (i: number) => PAD.left + (n === 1 ? 0 : (i / (n - 1)) * (W - PAD.left - PAD.right));
    const y = (v: number) => PAD.top + (1 - (v - lo) / (hi - lo || 1)) * (H - PAD.top - PAD.bottom);
    const path = (vs: number[]) => vs.map((v, i) => `${i ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join('');
    this.raw.setAttribute('d', path(this.losses));
    this.smooth.setAttribute('d', path(this.means));
    // Axes: three loss ticks and the first and last step.
    const ticks = [lo, (lo + hi) / 2, hi].map((v) =>
      `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(v)}" y2="${y(v)}" class="grid"/>` +
      `<text x="${PAD.left - 6}" y="${y(v) + 4}" text-anchor="end">${v.toFixed(2)}</text>`);
    this.axes.innerHTML = ticks.join('') +
      `<text x="${PAD.left}" y="${H - 6}">step 1</text>` +
      `<text x="${W - PAD.right}" y="${H - 6}" text-anchor="end">step ${n}</text>`;
  }
}
