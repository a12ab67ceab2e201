// The `siric` command line: argument parsing (commander) and exit codes. Each command returns an
// Outcome; only this file writes to the terminal and decides how the process ends.
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { VERSION } from '../version.js';
import { benchCommand } from './bench.js';
import { checkCommand } from './check.js';
import { EXIT, EXIT_CODES_HELP, type Outcome } from './common.js';
import { compareCommand } from './compare.js';
import { compileCommand } from './compile.js';
import { diffCommand } from './diff.js';
import { evalCommand } from './eval.js';
import { explainCommand } from './explain.js';
import { fmtCommand } from './fmt.js';
import { planCommand } from './plan.js';
import { reportCommand } from './report.js';
import { runCommand } from './run.js';
import { parseSeeds, sweepCommand } from './sweep.js';
import { verlCheckCommand, verlCompileCommand, type VerlCmdOptions } from './verl.js';

// The verl target's cluster flags (`compile` and `check` with --target verl).
function verlOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--target <target>', 'ir: siric\'s execution graph; verl: a job folder for verl on Ray (needs -o)').choices(['ir', 'verl']).default('ir'))
    .option('--nodes <n>', 'verl: nodes of the Ray cluster (default 1)', positiveInt)
    .option('--gpus-per-node <n>', 'verl: GPUs per node (default 8)', positiveInt)
    .addOption(new Option('--rollout <engine>', 'verl: rollout engine (default vllm)').choices(['vllm', 'sglang']))
    .option('--tp <n>', 'verl: rollout tensor parallelism (default: from the model folder\'s config.json, 1 up to 8B parameters, 2 to 16B, 4 to 40B, else 8; 1 when unreadable)', positiveInt)
    .option('--gpu-memory-utilization <f>', 'verl: share of GPU memory for the rollout engine (default 0.6)', fraction)
    .option('--verl-config <path>', "verl: the _generated_ppo_trainer.yaml to validate against (default: the installed verl's when python3 finds one, else siric's table of verl 0.9.0)");
}

function fraction(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || n > 1) throw new CommanderError(EXIT.usage, 'siric.invalidArgument', `error: expected a number in (0, 1], got '${v}'`);
  return n;
}

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];
const setOption = () => new Option('--set <path=value>', 'override a setting, e.g. --set rl.lr=2e-6 (repeatable; the value is .siri syntax)').argParser(collect);

function seedList(v: string): number[] {
  const seeds = parseSeeds(v);
  if (!seeds) throw new CommanderError(EXIT.usage, 'siric.invalidArgument', `error: expected seeds like 1,2,3 or 1-5 (distinct whole numbers), got '${v}'`);
  return seeds;
}

function positiveNumber(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new CommanderError(EXIT.usage, 'siric.invalidArgument', `error: expected a positive number, got '${v}'`);
  return n;
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new CommanderError(EXIT.usage, 'siric.invalidArgument', `error: expected a positive whole number, got '${v}'`);
  return n;
}

export function buildProgram(done: (o: Outcome) => void): Command {
  const program = new Command();
  program
    .name('siric')
    .description('Compile, check and run .siri pipelines: RL for reasoning models with a compress/expand length schedule (SIRI).')
    .version(VERSION, '-v, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .showSuggestionAfterError(true)
    .configureOutput({ outputError: (str, write) => write(str) })
    .exitOverride()
    .addHelpText('after', EXIT_CODES_HELP);

  verlOptions(program
    .command('check')
    .description("check .siri files and print every diagnostic (exit 0 clean, 1 errors); it also reads, never runs, the files a pipeline names: the first rows of each data file (a Parquet file's column list), a model folder's config.json, weights and tokenizer.json, and that each reward module exists; with --target verl, also what would not map to a verl job (nothing is written)")
    .argument('<files...>', '.siri files')
    .option('--json', 'print diagnostics as JSON (the shape of terraform validate -json)')
    .addOption(setOption()))
    .action((files: string[], o: VerlCmdOptions & { target: 'ir' | 'verl'; json?: boolean; set?: string[] }) => done(o.target === 'verl' ? verlCheckCommand(files, o) : checkCommand(files, o)));

  verlOptions(program
    .command('compile')
    .description('compile a pipeline to its execution graph (JSON), or to Graphviz DOT; with --target verl -o DIR, to a verl job folder (see docs/scale-out.md)')
    .argument('<file>', 'the pipeline .siri file')
    .option('-o, --output <file>', 'write to a file instead of stdout (--target verl: the job folder, required)')
    .addOption(new Option('--emit <format>', 'what to print').choices(['ir', 'dot']).default('ir'))
    .option('--json', 'print diagnostics as JSON when compilation fails')
    .addOption(setOption()))
    .action(async (file: string, o: VerlCmdOptions & { target: 'ir' | 'verl'; output?: string; emit: 'ir' | 'dot'; json?: boolean; set?: string[] }) => done(o.target === 'verl' ? await verlCompileCommand(file, o.output, o) : compileCommand(file, o)));

  program
    .command('plan')
    .description('preview stages, phases, budgets and checkpoints with resolved numbers, and chart the budget')
    .argument('<file>', 'the pipeline .siri file')
    .addOption(setOption())
    .option('--width <columns>', 'chart width (default: the terminal width)', positiveInt)
    .action((file: string, o: { set?: string[]; width?: number }) => done(planCommand(file, o)));

  program
    .command('fmt')
    .description('format .siri files canonically, in place (`-` reads stdin and writes stdout)')
    .argument('<files...>', '.siri files, or - for stdin')
    .option('--check', 'list files that are not formatted and exit 3, changing nothing')
    .action((files: string[], o: { check?: boolean }) => done(fmtCommand(files, o, () => readFileSync(0, 'utf8'))));

  program
    .command('run')
    .description('compile a pipeline and train it')
    .argument('<file>', 'the pipeline .siri file')
    .addOption(new Option('--backend <name>', 'TensorFlow.js backend').choices(['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu']))
    .option('--out <dir>', 'where run directories go (default: the pipeline\'s `out`)')
    .option('--max-steps <n>', 'stop after this many steps', positiveInt)
    .option('--resume <run-dir>', 'continue an interrupted run from its last checkpoint')
    .option('--from <checkpoint>', 'start a new run from another run\'s checkpoint (e.g. a shared warm-up), when everything before it is the same')
    .addOption(setOption())
    .option('--no-tui', 'plain output, one line per step')
    .option('--json', 'one JSON event per line')
    .action(async (file: string, o: { backend?: string; out?: string; maxSteps?: number; resume?: string; from?: string; set?: string[]; tui?: boolean; json?: boolean }) => done(await runCommand(file, o)));

  program
    .command('report')
    .description('chart finished runs (budget, reward, performance–efficiency) as SVG and a self-contained report.html')
    .argument('<run-dirs...>', 'run directories (runs/<pipeline>/<id>); several are overlaid, written into the first')
    .action(async (dirs: string[]) => done(await reportCommand(dirs)));

  program
    .command('sweep')
    .description('run pipelines once per seed (one run directory each), several at a time; then compare them')
    .argument('<files...>', 'pipeline .siri files (the variants)')
    .requiredOption('--seeds <list>', 'seeds, e.g. 1,2,3 or 1-5', seedList)
    .option('--jobs <n>', 'runs at the same time (each keeps about one core busy; default 1)', positiveInt)
    .option('--out <dir>', 'where run directories go (default: each pipeline\'s `out`); a sweep-*.json listing the runs is written there')
    .addOption(new Option('--backend <name>', 'TensorFlow.js backend').choices(['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu']))
    .option('--max-steps <n>', 'stop each run after this many steps (for a quick try)', positiveInt)
    .option('--fork-at <checkpoint>', 'per seed, run the first file fully and start the others from its checkpoint of this name (e.g. warmup-end: a shared warm-up trained once)')
    .addOption(setOption())
    .action(async (files: string[], o: { seeds: number[]; jobs?: number; out?: string; backend?: string; maxSteps?: number; forkAt?: string; set?: string[] }) => done(await sweepCommand(files, o)));

  program
    .command('compare')
    .description('compare runs: per variant (pipeline + overrides), accuracy and mean tokens at every eval point, mean ± std (or standard error) over seeds')
    .argument('<paths...>', 'run directories, or folders holding them (e.g. a sweep\'s --out)')
    .option('--markdown', 'print the tables as Markdown')
    .option('--json', 'print the comparison as JSON')
    .option('--out <dir>', 'also write the charts (SVG), compare.md and compare.json there')
    .option('--baseline <variant>', 'also show each variant minus this one at the last shared eval point, paired by seed')
    .option('--spread <std|se>', 'what follows ± in the tables and charts: `std`, the runs\' standard deviation (default), or `se`, the standard error of the mean')
    .action(async (paths: string[], o: { markdown?: boolean; json?: boolean; out?: string; baseline?: string; spread?: string }) => done(await compareCommand(paths, o)));

  program
    .command('eval')
    .description('evaluate a checkpoint on a dataset: greedy pass@1 and mean@n, with mean response tokens')
    .argument('<checkpoint>', 'a checkpoint folder, runs/<pipeline>/<id>/checkpoints/<name> (give the run directory to list them)')
    .requiredOption('--data <name>', 'the dataset, by its name in the pipeline')
    .option('--pipeline <file>', 'the pipeline that declares the dataset (default: the one the checkpoint\'s run used)')
    .addOption(new Option('--split <split>', 'which rows').choices(['eval', 'train', 'all']).default('eval'))
    .option('--samples <n>', 'also sample n responses per problem and report mean@n', positiveInt)
    .option('--temperature <t>', 'sampling temperature (default 0.6)', positiveNumber)
    .option('--top-p <p>', 'nucleus sampling (default 0.95)', positiveNumber)
    .option('--max-tokens <n>', 'response budget (default: the pipeline\'s eval budget for this dataset)', positiveInt)
    .option('--limit <n>', 'evaluate at most n problems', positiveInt)
    .addOption(new Option('--backend <name>', 'TensorFlow.js backend').choices(['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu']))
    .option('--json', 'print the result as JSON')
    .option('--rows <file>', 'also write every judged response (prompt, answer, response, tokens, truncated, correct) to this JSONL file')
    .addOption(setOption())
    .action(async (checkpoint: string, o: { data: string; pipeline?: string; split: 'eval' | 'train' | 'all'; samples?: number; temperature?: number; topP?: number; maxTokens?: number; limit?: number; backend?: string; json?: boolean; rows?: string; set?: string[] }) => done(await evalCommand(checkpoint, o)));

  program
    .command('bench')
    .description('measure training and sampling speed on each available backend, next to PyTorch when installed')
    .addOption(new Option('--backend <name>', 'only this backend').choices(['wasm', 'webgpu', 'cpu', 'tensorflow']))
    .option('--preset <names>', 'model sizes, comma-separated: tiny, small, medium, mlp (the MLP language model of the GPU notes)')
    .option('--reps <n>', 'timed repetitions (median reported)', positiveInt)
    .option('--json', 'print the measurements as JSON')
    .action(async (o: { backend?: string; preset?: string; reps?: number; json?: boolean }) => done(await benchCommand(o)));

  program
    .command('lsp')
    .description('run the language server (Language Server Protocol over stdin/stdout) for editors: docs/editors.md')
    .option('--stdio', 'talk over stdin/stdout (the default; accepted because editors pass it)')
    // The server ends the process itself: exit code 0 after `shutdown`, 1 without.
    .action(async () => {
      const { startServer } = await import('../lsp/server.js');
      startServer();
      await new Promise<never>(() => {});
    });

  program
    .command('diff')
    .description('the semantic difference of two pipelines: settings with their resolved values and origins, the rollout budget side by side, stages and evals added or removed (exit 0 the same, 1 different, 2 trouble)')
    .argument('[a]', 'a .siri file, REV:path (read through git, imports from the same revision), or a run directory')
    .argument('[b]', 'the same kinds as <a>')
    .option('--json', 'print the difference as JSON (shape in docs/diff.md)')
    .option('--textconv <file>', "print one pipeline's resolved settings and budgets as text, for git's diff.siri.textconv (docs/diff.md); always exits 0")
    .action((a: string | undefined, b: string | undefined, o: { json?: boolean; textconv?: string }) => done(diffCommand(a, b, o)));

  program
    .command('explain')
    .description('print the docs/errors.md section of a diagnostic code (E0301, W0002, R0203): what it means, an example, the fix')
    .argument('<code>', 'a code as printed in error[CODE], in any case')
    .action((code: string) => done(explainCommand(code)));

  return program;
}

export async function main(argv: string[]): Promise<number> {
  // `siric ... | head`: the reader went away; stop quietly, as Unix tools do.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(0);
      throw e;
    });
  }
  let outcome: Outcome = { code: EXIT.ok };
  const program = buildProgram((o) => (outcome = o));
  try {
    if (argv.length <= 2) {
      process.stdout.write(program.helpInformation() + EXIT_CODES_HELP);
      return EXIT.ok;
    }
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit 0; every other parsing failure is a usage error.
      const ok = ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(e.code);
      if (!ok && e.code === 'siric.invalidArgument') process.stderr.write(e.message + '\n');
      return ok ? EXIT.ok : EXIT.usage;
    }
    const err = e as Error;
    process.stderr.write(`error: siric failed unexpectedly: ${err.message}\nThis is a bug in siric; please report it with the command you ran.${process.env['SIRIC_DEBUG'] ? `\n${err.stack}` : ' (set SIRIC_DEBUG=1 for details)'}\n`);
    return EXIT.internal;
  }
  if (outcome.stdout) process.stdout.write(outcome.stdout);
  if (outcome.stderr) process.stderr.write(outcome.stderr);
  return outcome.code;
}
