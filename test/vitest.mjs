// `npm test` runs vitest through this wrapper, which keeps two kinds of noise out of its output.
// - Dawn (the `webgpu` package) prints "Warning: maxDynamic…BuffersPerPipelineLayout artificially
//   reduced from 90 to 16 to fit dynamic offset allocation limit." from native code, straight to
//   stderr, each time a test creates the software GL adapter. It is harmless (neither tfjs nor siric
//   binds buffers with dynamic offsets) and cannot be silenced from JavaScript, so exactly those lines are dropped;
//   every other line of stderr, Dawn's real errors included, passes through.
// - vitest colours its output even into a file or under CI (its colour check ignores whether stdout
//   is a terminal): no colours unless stdout is one, or FORCE_COLOR asks for them.
// And one kind of failure is given a second chance: a test worker that exits unexpectedly (seen
// once in CI, in a webgpu test on Dawn over Mesa's software GL: a crash in native code, never
// reproduced in 11 runs since). When stdout is not a terminal (CI, a file) and the run's only
// errors are such exits, with no failed test, the files whose worker died are run once more, with
// a note naming them; their second run decides the exit code. A failed assertion is never rerun.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const DAWN_LIMIT_NOTICE = /^Warning: maxDynamic(Uniform|Storage)BuffersPerPipelineLayout artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.$/;

const env = { ...process.env };
if (!process.stdout.isTTY && env.FORCE_COLOR === undefined) env.NO_COLOR = '1';
const vitest = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url));
const args = process.argv.slice(2);
const mayRetry = !process.stdout.isTTY && args[0] === 'run' && !args.some((a) => /^--(reporter|outputFile)/.test(a));
const report = mayRetry ? path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'siric-vitest-')), 'report.json') : undefined;
const extra = report ? ['--reporter=default', '--reporter=json', `--outputFile.json=${report}`] : [];

/** Runs vitest; resolves with its exit code, whether a worker died, and the files it printed a result for. */
function runVitest(argv) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [vitest, ...argv], { env, stdio: ['inherit', 'pipe', 'pipe'] });
    const printed = new Set();
    let workerDied = false;
    const scan = (line) => {
      const plain = line.replace(/\x1b\[[0-9;]*m/g, '');
      if (plain.includes('Worker exited unexpectedly')) workerDied = true;
      const m = /^\s*[✓↓❯×]\s+(\S+)/.exec(plain);
      if (m) printed.add(m[1]);
    };
    let out = '';
    // Line by line, so that the JSON reporter's note about our temporary report file is left out.
    const ours = (l) => report !== undefined && l.includes(report);
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      const lines = (out + chunk).split('\n');
      out = lines.pop();
      lines.forEach(scan);
      const kept = lines.filter((l) => !ours(l));
      if (kept.length) process.stdout.write(kept.map((l) => l + '\n').join(''));
    });
    let pending = '';
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop();
      lines.forEach(scan);
      const kept = lines.filter((l) => !DAWN_LIMIT_NOTICE.test(l));
      if (kept.length) process.stderr.write(kept.map((l) => l + '\n').join(''));
    });
    child.stderr.on('end', () => {
      if (pending && !DAWN_LIMIT_NOTICE.test(pending)) process.stderr.write(pending);
    });
    child.on('close', (code, signal) => {
      if (out) {
        scan(out);
        if (!ours(out)) process.stdout.write(out);
      }
      resolve({ code: code ?? (signal === 'SIGINT' ? 130 : 1), workerDied, printed });
    });
  });
}

/** The files of the JSON report that got no result line: the ones whose worker died. */
function crashedFiles(printed) {
  try {
    const r = JSON.parse(fs.readFileSync(report, 'utf8'));
    if (r.numFailedTests > 0) return [];
    return r.testResults.map((t) => t.name).filter((name) => ![...printed].some((p) => name === p || name.endsWith(`/${p}`)));
  } catch {
    return [];
  }
}

// Ctrl-C reaches vitest itself (same process group); wait for it to finish.
process.on('SIGINT', () => {});
const first = await runVitest([...args, ...extra]);
let code = first.code;
if (code !== 0 && report && first.workerDied) {
  const files = crashedFiles(first.printed);
  if (files.length) {
    const rel = files.map((f) => path.relative(process.cwd(), f));
    process.stderr.write(`\nnote: a test worker exited unexpectedly (a crash, not a failed test) in ${rel.join(', ')}; running ${files.length === 1 ? 'that file' : 'those files'} once more\n\n`);
    code = (await runVitest([...args, ...files])).code;
  }
}
if (report) fs.rmSync(path.dirname(report), { recursive: true, force: true });
process.exitCode = code;
