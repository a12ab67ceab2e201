// The `siric` command line: argument parsing (commander) and exit codes. Each command returns an
// Outcome; only this file writes to the terminal and decides how the process ends.
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { VERSION } from '../version.js';
import { benchCommand } from './bench.js';
import { checkCommand } from './check.js';
import { EXIT, type Outcome } from './common.js';
import { compileCommand } from './compile.js';
import { fmtCommand } from './fmt.js';
import { planCommand } from './plan.js';
import { reportCommand } from './report.js';
import { runCommand } from './run.js';

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];
const setOption = () => new Option('--set <path=value>', 'override a setting, e.g. --set rl.lr=2e-6 (repeatable; the value is .siri syntax)').argParser(collect);

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
    .exitOverride();

  program
    .command('check')
    .description('check .siri files and print every diagnostic (exit 0 clean, 1 errors)')
    .argument('<files...>', '.siri files')
    .option('--json', 'print diagnostics as JSON (the shape of terraform validate -json)')
    .addOption(setOption())
    .action((files: string[], o: { json?: boolean; set?: string[] }) => done(checkCommand(files, o)));

  program
    .command('compile')
    .description('compile a pipeline to its execution graph (JSON), or to Graphviz DOT')
    .argument('<file>', 'the pipeline .siri file')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .addOption(new Option('--emit <format>', 'what to print').choices(['ir', 'dot']).default('ir'))
    .option('--json', 'print diagnostics as JSON when compilation fails')
    .addOption(setOption())
    .action((file: string, o: { output?: string; emit: 'ir' | 'dot'; json?: boolean; set?: string[] }) => done(compileCommand(file, o)));

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
    .addOption(setOption())
    .option('--no-tui', 'plain output, one line per step')
    .option('--json', 'one JSON event per line')
    .action(async (file: string, o: { backend?: string; out?: string; maxSteps?: number; resume?: string; set?: string[]; tui?: boolean; json?: boolean }) => done(await runCommand(file, o)));

  program
    .command('report')
    .description('chart finished runs (budget, reward, performance–efficiency) as SVG and a self-contained report.html')
    .argument('<run-dirs...>', 'run directories (runs/<pipeline>/<id>); several are overlaid, written into the first')
    .action(async (dirs: string[]) => done(await reportCommand(dirs)));

  program
    .command('bench')
    .description('measure training and sampling speed on each available backend, next to PyTorch when installed')
    .addOption(new Option('--backend <name>', 'only this backend').choices(['wasm', 'webgpu', 'cpu', 'tensorflow']))
    .addOption(new Option('--preset <name>', 'model size').choices(['tiny', 'small', 'medium']))
    .option('--reps <n>', 'timed repetitions (median reported)', positiveInt)
    .option('--json', 'print the measurements as JSON')
    .action(async (o: { backend?: string; preset?: string; reps?: number; json?: boolean }) => done(await benchCommand(o)));

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
      process.stdout.write(program.helpInformation());
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
    return EXIT.usage;
  }
  if (outcome.stdout) process.stdout.write(outcome.stdout);
  if (outcome.stderr) process.stderr.write(outcome.stderr);
  return outcome.code;
}
