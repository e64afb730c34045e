// The loss plot: @unroll/plot's lineChart of the loss per step and its running mean, redrawn (at
// most once a frame) as steps arrive.
import { lineChart } from '@unroll/plot';

export class LossPlot {
  private readonly losses: number[] = [];
  private readonly means: number[] = [];

  constructor(readonly container: HTMLElement) {}

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
    // Steps count from 1 on the x axis.
    const points = (vs: number[]) => vs.map((v, i) => [i + 1, v] as const);
    this.container.innerHTML = lineChart([
      { name: 'loss', values: points(this.losses), color: '#9ec5ee' },
      { name: 'running mean', values: points(this.means), color: '#1f5fa8' },
    ], { xLabel: 'step', yLabel: 'nats/char', width: 560, height: 260 });
  }
}
