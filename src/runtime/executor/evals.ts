// The evals of a run, at the points the graph gives them (a global step, in a stage or before the
// first): each is run once, even across a resume, and becomes a metrics row, an event and a line
// of the run's summary.
import type { IR } from '../../ir/graph.js';
import { judgeWarning, runEval } from '../eval.js';
import type { EvalMetrics, RunEvent } from '../types.js';
import type { RunInputs } from './inputs.js';
import type { RunLog } from './run-dir.js';

export class EvalSchedule {
  /** `eval-id@step` of every eval point already run (recorded in checkpoints). */
  readonly done: Set<string>;
  /** Every eval of the run so far, in order: the final table. */
  readonly summary: EvalMetrics[];
  /** Evals already warned about a budget the model's context cannot hold. */
  private readonly clamped = new Set<string>();

  constructor(
    private readonly ir: IR,
    private readonly inputs: RunInputs,
    private readonly log: RunLog,
    private readonly sink: (e: RunEvent) => void,
    resumed?: { evals_done: string[] },
  ) {
    this.done = new Set(resumed?.evals_done ?? []);
    this.summary = resumed ? log.evalRows() : [];
  }

  /** Runs the evals due at this global step of this stage (`null`: before the first stage). */
  async at(globalStep: number, stage: string | null): Promise<void> {
    const { evals, datasets, model, tokenizer, judges, nodes } = this.inputs;
    for (const e of evals) {
      for (const p of e.points) {
        const key = `${e.id}@${p.step}`;
        if (p.step !== globalStep || p.stage !== stage || this.done.has(key)) continue;
        const context = model.config.max_position_embeddings;
        if (e.max_tokens >= context && !this.clamped.has(e.id)) {
          // `check` says so for a scratch model; a Hugging Face model's context is known only here.
          this.clamped.add(e.id);
          this.sink({ type: 'warning', message: `eval \`${e.name}\`: max_tokens = ${e.max_tokens} is not below the ${context}-token context of the model, so each response is cut at what its prompt leaves (and counted as truncated); set the eval's max_tokens below ${context}` });
        }
        const split = datasets.get(e.data.dataset)!;
        const rows = e.data.split === 'train' ? split.train : e.data.split === 'eval' ? split.eval : [...split.train, ...split.eval];
        const m = await runEval(e, rows, { model, tokenizer, rewards: await judges.for(e.judge), seed: this.ir.pipeline.seed }, { step: globalStep, stage: stage && nodes.get(stage)!.name, reason: p.reason });
        this.done.add(key);
        this.summary.push(m);
        this.log.metric({ ...m, global_step: globalStep });
        this.sink({ type: 'eval', metrics: m });
        const warning = judgeWarning(m);
        if (warning) this.sink({ type: 'warning', message: warning });
      }
    }
  }
}
