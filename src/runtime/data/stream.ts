// Batches of training examples in a shuffled order that a checkpoint can resume exactly. Each
// epoch's order is a pure function of (seed, name, epoch), so the whole position is two numbers.
import { Rng } from '../rng.js';
import { RunError, type Example } from '../types.js';

export interface StreamState {
  epoch: number;
  /** Examples of this epoch already handed out. */
  pos: number;
}

export class ExampleStream {
  private epoch = 0;
  private pos = 0;
  private order: number[];

  constructor(
    private readonly rows: readonly Example[],
    /** `name`: what the stream is for (a stage id or a dataset name): streams with different names draw independent orders. */
    private readonly opts: { seed: number; name: string; shuffle: boolean },
  ) {
    this.order = this.orderOf(0);
  }

  get size(): number {
    return this.rows.length;
  }

  /** The next `n` examples, starting a new (reshuffled) epoch whenever one runs out. */
  next(n: number): Example[] {
    if (n > 0 && this.rows.length === 0) throw new RunError(`no examples to train on in \`${this.opts.name}\``, 'the data split is empty: check the dataset, its `limit` and `holdout`', 'R0105');
    const out: Example[] = [];
    while (out.length < n) {
      if (this.pos >= this.rows.length) {
        this.epoch++;
        this.pos = 0;
        this.order = this.orderOf(this.epoch);
      }
      out.push(this.rows[this.order[this.pos++]!]!);
    }
    return out;
  }

  state(): StreamState {
    return { epoch: this.epoch, pos: this.pos };
  }

  restore(s: StreamState): void {
    if (!Number.isInteger(s.epoch) || s.epoch < 0 || !Number.isInteger(s.pos) || s.pos < 0 || s.pos > this.rows.length) {
      throw new RunError(`cannot resume \`${this.opts.name}\` at epoch ${s.epoch}, position ${s.pos}: the data has ${this.rows.length} examples`, 'the dataset changed since the checkpoint was written', 'R0209');
    }
    this.epoch = s.epoch;
    this.pos = s.pos;
    this.order = this.orderOf(s.epoch);
  }

  private orderOf(epoch: number): number[] {
    const idx = Array.from({ length: this.rows.length }, (_, i) => i);
    return this.opts.shuffle ? new Rng(this.opts.seed, `stream/${this.opts.name}/epoch${epoch}`).shuffle(idx) : idx;
  }
}
