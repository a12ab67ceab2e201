// The JavaScript twin of custom_reward.py: what `siric run` calls for the same reward.
export default function (x) {
  const r = x.response;
  if (r.includes('BOOL')) return x.answer !== undefined && r.includes(x.answer);
  if (r.includes('DICT')) return { score: 0.5, correct: r.includes('right') };
  if (r.includes('NAN')) return NaN;
  if (r.includes('THROW')) throw new Error('exploded on purpose');
  return r.length / 10;
}
