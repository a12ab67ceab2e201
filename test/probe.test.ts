import { it } from 'vitest';
import fc from 'fast-check';
import { parseFile } from '../src/ast/build.js';
import { formatSource } from '../src/format/printer.js';
import { sourceForProbe } from './format/property.test.js';
it('probe', () => {
  const xs = fc.sample(sourceForProbe, 300);
  console.log('avg len', xs.reduce((a, x) => a + x.length, 0) / xs.length, 'max', Math.max(...xs.map((x) => x.length)));
  let t = performance.now(); for (const x of xs) parseFile('t', x); console.log('parse ms', performance.now() - t);
  t = performance.now(); for (const x of xs) formatSource('t', x); console.log('fmt ms', performance.now() - t);
});
