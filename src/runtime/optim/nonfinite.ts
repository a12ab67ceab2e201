// Updates whose gradient is NaN or infinite. Applying one makes the weights and AdamW's moments NaN
// for good, so it is skipped instead (as verl's actor does when its grad norm is not finite): the
// weights and the optimizer state (moments and step count) stay as they were. Skips are counted;
// `stop_after_nonfinite` of them in a row end the run with R0401 before anything else is saved,
// so the last checkpoint written is from a good state.
import { RunError } from '../types.js';

export class NonfiniteGuard {
  /** Non-finite updates since the last finite one (across steps). */
  private inRow = 0;

  constructor(
    /** Skipped updates in a row that stop the run (IRTrain.stop_after_nonfinite). */
    readonly stopAfter: number,
    /** Names the stage in the error. */
    private readonly stage: string,
  ) {}

  /**
   * Whether an update with this gradient norm may be applied. A non-finite norm is a skip, and the
   * stopAfter-th skip in a row throws.
   */
  admit(gradNorm: number): boolean {
    if (Number.isFinite(gradNorm)) {
      this.inRow = 0;
      return true;
    }
    this.inRow++;
    if (this.inRow >= this.stopAfter) throw nonfiniteError(this.stage, this.inRow, `${this.inRow === 1 ? 'was' : 'were'} skipped, so the weights are those of the last good update`);
    return false;
  }
}

/** The error for non-finite updates: how many, and what became of them. */
export function nonfiniteError(stage: string, count: number, what: string, remedy = 'lower `lr`, keep `grad_clip` on, or raise `stop_after_nonfinite` to ride out rare ones'): RunError {
  return new RunError(
    `stage \`${stage}\`: ${count} update${count === 1 ? '' : 's'} in a row had a NaN or infinite gradient and ${what}`,
    `nothing was saved after them, so the last checkpoint in the run directory is intact; ${remedy}`,
    'R0401',
  );
}
