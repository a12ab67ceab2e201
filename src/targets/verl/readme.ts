// The job folder's README.md and its two shell scripts.
import type { IR } from '../../ir/graph.js';
import { VERL_PIN } from './keys.js';
import type { JobPlan } from './map.js';

export const RUN_SH = `#!/usr/bin/env bash
# Launches this verl job: python3 -m verl.trainer.main_ppo with the overrides of overrides.txt.
# Extra arguments are passed through as more Hydra overrides (they come last, so they win).
set -euo pipefail
cd "$(dirname "$0")"
# siri_verl.py (agent loops, compute_score) is imported by name from this folder.
export PYTHONPATH="$PWD\${PYTHONPATH:+:$PYTHONPATH}"
OVERRIDES=()
while IFS= read -r line || [[ -n "$line" ]]; do
  case "$line" in '' | '#'*) ;; *) OVERRIDES+=("$line") ;; esac
done < overrides.txt
exec python3 -m verl.trainer.main_ppo "\${OVERRIDES[@]}" "$@"
`;

export const EXPORT_SH = `#!/usr/bin/env bash
# Merges the named checkpoints of checkpoints.json into Hugging Face folders (verl.model_merger).
set -euo pipefail
cd "$(dirname "$0")"
exec python3 siri_export.py "$@"
`;

export function jobReadme(ir: IR, plan: JobPlan, o: { experiment: string; checkedAgainst: string; localDir: string; modelPath: string }): string {
  const s = plan.stage;
  const named = s.checkpoints.filter((c) => c.siri !== null || c.reason !== 'every');
  return `# ${ir.pipeline.name}: a verl job compiled by siric

${ir.pipeline.description ? `${ir.pipeline.description}.\n\n` : ''}This folder is the GRPO stage \`${s.name}\` of \`${ir.pipeline.file}\` (${s.steps} steps, ${s.batch} prompts × ${s.group} responses per step, rollout budget ${Math.min(...s.budget.by_step)}–${s.budget.max} tokens following SIRI's schedule) as a job for [verl](https://github.com/verl-project/verl) on Ray. verl experiment name: \`${o.experiment}\` (the pipeline's name and the start of the SHA-256 of \`graph.json\`).

Checked against: verl ${VERL_PIN.version} (commit ${VERL_PIN.commit}); keys validated with ${o.checkedAgainst}.

## Launch

On one node (from any directory: \`run.sh\` changes into this folder, so every relative path in \`overrides.txt\` is relative to it):

\`\`\`sh
bash run.sh
\`\`\`

On a Ray cluster, from this folder:

\`\`\`sh
ray job submit --working-dir . -- bash run.sh
\`\`\`

Arguments after \`run.sh\` are more Hydra overrides and win over \`overrides.txt\`, e.g. \`bash run.sh trainer.default_local_dir=/shared/ckpt/${ir.pipeline.name}\` to put checkpoints on storage every node sees. The model is read from \`${o.modelPath}\` (the pipeline's folder, resolved on the machine that compiled the job): on another machine pass \`actor_rollout_ref.model.path=/path/to/model\`.

## Export the named checkpoints

\`\`\`sh
bash export.sh
\`\`\`

merges each checkpoint named in \`checkpoints.json\` (${named.map((c) => `\`${c.name}\``).join(', ') || 'none besides the periodic ones'}${named.length ? ', and the periodic ones' : ''}) from \`${o.localDir}/global_step_N/actor\` into a Hugging Face folder with \`python -m verl.model_merger merge --backend fsdp\`.

## Requirements

- verl ${VERL_PIN.version} with its V1 trainer in \`trainer.v1.trainer_mode=sync\`: in the async modes prompts carry the step at which they were issued, so the budget would lag behind the schedule.
- The padding width \`data.max_response_length\` is the largest budget (and eval cap): memory is sized by it in every phase; compute follows the actual lengths.
- \`siri_verl.py\` must be importable by every Ray worker: \`run.sh\` puts this folder on \`PYTHONPATH\`; \`ray job submit --working-dir .\` ships it to the cluster.

## Files

| file | what it is |
| --- | --- |
| \`overrides.txt\` | one Hydra override per line |
| \`run.sh\`, \`export.sh\` | launch the job; merge the named checkpoints |
| \`siri_verl.py\` | the agent loops (\`siri_budget\` sets each sample's \`max_tokens\` from the schedule, \`siri_eval\` a fixed cap) and \`compute_score\` (the pipeline's rewards) |
| \`siri_export.py\` | the checkpoint merger called by \`export.sh\` |
| \`siri_agent_loops.yaml\` | registers the two agent loops |
| \`siri_budget.json\` | the budget and phase of every step (the table of \`siric plan\`) |
| \`siri_job.json\` | the stage, its steps, the eval cap and the agent-loop names |
| \`checkpoints.json\` | siric's checkpoint names → verl's \`global_step_N/actor\` folders |
| \`graph.json\` | the compiled pipeline (siric's IR) |
| \`data/*.jsonl\` | the datasets in verl's row schema |
`;
}
