// Every key the verl target emits is a live key of verl 0.9.0 with a value of its default's
// type: checked against verl's own flattened key list and, with OmegaConf, its generated YAML.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VERL_KEYS, VERL_PIN } from '../../../src/targets/verl/keys.js';
import { checkKeys, flattenVerlYaml, parseKeysTxt } from '../../../src/targets/verl/validate.js';
import { exampleDir, ROOT, siric, VERL_REF } from './helpers.js';

const keysTxt = readFileSync(join(VERL_REF, 'v0.9.0/keys.txt'), 'utf8');
const yamlPath = join(VERL_REF, 'v0.9.0/_generated_ppo_trainer.yaml');
const verl9 = parseKeysTxt(keysTxt, 'keys.txt');

/** The overrides.txt lines of each example's job. */
const jobs = ['siri-1.5b-low', 'siri-1.5b-high', 'dapo-baseline'].map((name) => {
  const dir = exampleDir(name);
  const r = siric(['compile', `${name}.siri`, '--target', 'verl', '-o', 'job'], dir);
  if (r.code !== 0) throw new Error(r.out);
  const file = join(dir, 'job/overrides.txt');
  return { name, dir, file, lines: readFileSync(file, 'utf8').split('\n').filter((l) => l && !l.startsWith('#')) };
});

describe('keys.txt of verl 0.9.0', () => {
  it('is the version our table was read from', () => {
    expect(keysTxt).toContain(`commit: ${VERL_PIN.commit}`);
  });

  it.each(jobs)('accepts every override of $name', ({ lines }) => {
    expect(checkKeys(lines, verl9)).toEqual([]);
  });

  it('holds every key of our table, live, with a compatible type', () => {
    const lines = VERL_KEYS.map((k) => `${k.plus ? '+' : ''}${k.path}=${{ int: '1', float: '1.0', bool: 'true', str: 'x', list: '[a]', dict: '{a: 1}' }[k.type]}`);
    expect(checkKeys(lines, verl9)).toEqual([]);
  });

  it('catches a misspelt, a legacy, a dead and a mistyped key', () => {
    const bad = ['actor_rollout_ref.actor.clip_ratio_hgih=0.28', 'custom_reward_function.path=siri_verl.py', 'actor_rollout_ref.actor.grad_clip=1.0', 'data.train_batch_size=many', '+data.shuffle=true'];
    expect(checkKeys(bad, verl9).map((p) => p.key)).toEqual(['actor_rollout_ref.actor.clip_ratio_hgih', 'custom_reward_function.path', 'actor_rollout_ref.actor.grad_clip', 'data.train_batch_size', 'data.shuffle']);
    expect(checkKeys(bad, verl9)[2]!.message).toContain('DEAD');
    expect(checkKeys(bad, verl9)[1]!.message).toContain('LEGACY');
  });

  it('agrees with our flattening of the generated YAML on every live key', () => {
    const yaml = flattenVerlYaml(readFileSync(yamlPath, 'utf8'), 'yaml');
    for (const [key, k] of verl9.keys) if (k.status === 'live') expect(yaml.keys.has(key), key).toBe(true);
    for (const j of jobs) expect(checkKeys(j.lines, yaml)).toEqual([]);
  });
});

const PY = '/usr/bin/python3';
const hasOmegaConf = spawnSync(PY, ['-c', 'import omegaconf, yaml'], { encoding: 'utf8' }).status === 0;
if (!hasOmegaConf) console.log(`skipping the OmegaConf check: ${PY} cannot import omegaconf (Debian: apt-get install python3-omegaconf)`);
const checker = join(ROOT, 'test/targets/verl/check_overrides.py');
const applyAll = (file: string) => spawnSync(PY, [checker, yamlPath, file], { encoding: 'utf8' });

describe.skipIf(!hasOmegaConf)('OmegaConf, struct mode, on verl 0.9.0\'s generated YAML', () => {
  it.each(jobs)('applies every override of $name', ({ file }) => {
    const r = applyAll(file);
    expect(r.stdout + r.stderr).toContain('ok: every override applies');
    expect(r.status).toBe(0);
  });

  it('fails on a misspelt key', () => {
    const { file, dir } = jobs[0]!;
    const bad = join(dir, 'bad-overrides.txt');
    writeFileSync(bad, readFileSync(file, 'utf8').replace('clip_ratio_high=', 'clip_ratio_hgih='));
    const r = applyAll(bad);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("Key 'actor_rollout_ref.actor.clip_ratio_hgih' is not in struct");
  });
});
