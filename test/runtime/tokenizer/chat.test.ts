// Chat templates: Qwen2-Instruct's real template renders a prompt exactly as transformers'
// apply_chat_template(add_generation_prompt=True) does, prompts are encoded through it without an
// extra BOS, and a template that fails is a RunError naming tokenizer_config.json.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ChatTemplate, encodePrompt } from '../../../src/runtime/tokenizer/chat.js';
import { CharTokenizer } from '../../../src/runtime/tokenizer/chars.js';
import { loadTokenizerFile } from '../../../src/runtime/tokenizer/index.js';
import { RunError } from '../../../src/runtime/types.js';
import { SPECIAL, tinyTokenizerConfig, writeTinyTokenizer } from '../../helpers/hf-tokenizer.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'siric-chat-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function load(config: Record<string, unknown>, opts: { chatTemplate?: 'auto' | 'none' } = {}) {
  const dir = fs.mkdtempSync(path.join(tmp, 'tok-'));
  writeTinyTokenizer(dir, config);
  return { dir, tok: loadTokenizerFile(path.join(dir, 'tokenizer.json'), opts) };
}

function errorOf(f: () => unknown): RunError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(RunError);
    return e as RunError;
  }
  throw new Error('expected a RunError');
}

const QWEN2_PROMPT = (p: string): string => `<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n${p}<|im_end|>\n<|im_start|>assistant\n`;

describe('chat templates', () => {
  it("renders Qwen2-Instruct's template exactly", () => {
    const { tok } = load(tinyTokenizerConfig());
    expect(tok.chatTemplate).not.toBeNull();
    expect(tok.chatTemplate!.render('What is 1+1?')).toBe(QWEN2_PROMPT('What is 1+1?'));
    // Braces, quotes and newlines in the prompt are text, not template syntax.
    expect(tok.chatTemplate!.render("{{ x }} {% if %}\n'\"")).toBe(QWEN2_PROMPT("{{ x }} {% if %}\n'\""));
  });

  it('encodes a prompt through the template, its special tokens as single ids, no extra BOS', () => {
    const { tok } = load(tinyTokenizerConfig());
    const ids = encodePrompt(tok, 'hi');
    expect(ids).toEqual(tok.encode(QWEN2_PROMPT('hi')));
    expect(ids[0]).toBe(SPECIAL.im_start);
    expect(ids.slice(-11)).toEqual([SPECIAL.im_start, ...tok.encode('assistant\n')]);
    expect(ids.filter((id) => id === SPECIAL.im_start)).toHaveLength(3);
    expect(ids.filter((id) => id === SPECIAL.im_end)).toHaveLength(2);
    expect(tok.decode(ids)).toBe('system\nYou are a helpful assistant.\nuser\nhi\nassistant\n');
  });

  it('a template that writes BOS itself gets no second one', () => {
    const { tok } = load(tinyTokenizerConfig({ bos_token: '<|endoftext|>', add_bos_token: true, chat_template: "{{ bos_token }}{% for m in messages %}<|im_start|>{{ m['content'] }}{% endfor %}{% if add_generation_prompt %}<|im_end|>{% endif %}" }));
    expect(tok.bos).toBe(SPECIAL.endoftext);
    expect(encodePrompt(tok, 'hi')).toEqual([SPECIAL.endoftext, SPECIAL.im_start, 104, 105, SPECIAL.im_end]);
  });

  it('`none`, a config without a template, and the chars tokenizer give raw prompts', () => {
    expect(load(tinyTokenizerConfig(), { chatTemplate: 'none' }).tok.chatTemplate).toBeNull();
    expect(load(tinyTokenizerConfig({ chat_template: undefined })).tok.chatTemplate).toBeNull();
    // The chars tokenizer: BOS + text, as it always was.
    const chars = new CharTokenizer('ab');
    expect(chars.chatTemplate).toBeNull();
    expect(encodePrompt(chars, 'ba')).toEqual([1, 4, 3]);
  });

  it('chat_template.jinja next to the tokenizer takes precedence, and is saved back', () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'tok-'));
    writeTinyTokenizer(dir, tinyTokenizerConfig());
    fs.writeFileSync(path.join(dir, 'chat_template.jinja'), "{{ messages[0]['content'] }}!");
    const tok = loadTokenizerFile(path.join(dir, 'tokenizer.json'));
    expect(tok.chatTemplate!.render('hi')).toBe('hi!');
    expect(tok.files()['chat_template.jinja']).toBe("{{ messages[0]['content'] }}!");
  });

  it('a template that does not parse, or fails on a prompt, names tokenizer_config.json', () => {
    const broken = errorOf(() => load(tinyTokenizerConfig({ chat_template: '{% for m in messages %}{{ m.content }' })));
    expect(broken.message).toMatch(/tokenizer_config\.json: the chat_template does not parse: /);
    expect(broken.hint).toMatch(/chat_template = none/);
    const { dir, tok } = load(tinyTokenizerConfig({ chat_template: "{{ raise_exception('only system and user roles') }}" }));
    const failed = errorOf(() => encodePrompt(tok, 'hi'));
    expect(failed.message).toBe(`${path.join(dir, 'tokenizer_config.json')}: the chat_template failed on a prompt: only system and user roles`);
    // With `none`, the broken template is not even read.
    expect(load(tinyTokenizerConfig({ chat_template: '{% if %}' }), { chatTemplate: 'none' }).tok.chatTemplate).toBeNull();
  });

  it('a template in the style of DeepSeek-R1-Distill\'s (namespace, set, `in`, split) renders its generation prompt', () => {
    // The user-turn and generation-prompt paths of R1-Distill's tokenizer_config.json template.
    const r1 =
      "{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}{% set ns = namespace(is_first=false, is_tool=false, system_prompt='') %}" +
      "{%- for message in messages %}{%- if message['role'] == 'system' %}{% set ns.system_prompt = message['content'] %}{%- endif %}{%- endfor %}{{bos_token}}{{ns.system_prompt}}" +
      "{%- for message in messages %}{%- if message['role'] == 'user' %}{%- set ns.is_tool = false -%}{{'<｜User｜>' + message['content']}}{%- endif %}" +
      "{%- if message['role'] == 'assistant' and message['content'] is not none %}{% set content = message['content'] %}{% if '</think>' in content %}{% set content = content.split('</think>')[-1] %}{% endif %}{{'<｜Assistant｜>' + content + '<｜end▁of▁sentence｜>'}}{%- endif %}" +
      "{%- endfor -%}{% if add_generation_prompt and not ns.is_tool %}{{'<｜Assistant｜><think>\\n'}}{% endif %}";
    const t = new ChatTemplate(r1, { bos_token: '<｜begin▁of▁sentence｜>', eos_token: '<｜end▁of▁sentence｜>' }, 'tokenizer_config.json');
    expect(t.render('What is 1+1?')).toBe('<｜begin▁of▁sentence｜><｜User｜>What is 1+1?<｜Assistant｜><think>\n');
  });

  it('named templates: the "default" one', () => {
    const { tok } = load(tinyTokenizerConfig({ chat_template: [{ name: 'tool_use', template: 'T' }, { name: 'default', template: 'D{{ messages[0].content }}' }] }));
    expect(tok.chatTemplate!.render('x')).toBe('Dx');
    expect(new ChatTemplate('{{ bos_token }}|{{ eos_token }}', { bos_token: '<s>', eos_token: '</s>' }, 'f').render('')).toBe('<s>|</s>');
  });
});
