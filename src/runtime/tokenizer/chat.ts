// How a prompt becomes the model's input. A chat model was trained on prompts wrapped in its chat
// template (DeepSeek-R1-Distill: `<｜begin▁of▁sentence｜><｜User｜>…<｜Assistant｜><think>\n`), so
// the template from its tokenizer_config.json is rendered here with @huggingface/jinja, as
// transformers' `apply_chat_template(messages, add_generation_prompt=True)` does; without one a
// prompt is BOS (when the tokenizer has one) + the text.
import { Template } from '@huggingface/jinja';
import type { PromptTemplate, Tokenizer } from '../types.js';
import { RunError } from '../types.js';

const HINT = 'fix the template, or give the model raw prompts with `chat_template = none` in the model';

export class ChatTemplate implements PromptTemplate {
  private readonly template: Template;

  /**
   * `specials`: the tokenizer's special tokens by role (`bos_token`, `eos_token`, …), which
   * templates use by name. `file`: where the template came from, for error messages.
   */
  constructor(
    readonly source: string,
    private readonly specials: Record<string, string>,
    private readonly file: string,
  ) {
    try {
      this.template = new Template(source);
    } catch (e) {
      throw new RunError(`${file}: the chat_template does not parse: ${(e as Error).message}`, HINT);
    }
  }

  /** The text of one user turn followed by the assistant's opening, ready to be continued. */
  render(prompt: string): string {
    try {
      return this.template.render({ ...this.specials, messages: [{ role: 'user', content: prompt }], add_generation_prompt: true });
    } catch (e) {
      throw new RunError(`${this.file}: the chat_template failed on a prompt: ${(e as Error).message}`, HINT);
    }
  }
}

/**
 * A prompt's token ids. With a chat template, the rendered text is encoded as it is: the
 * template writes BOS itself where the model wants one, so none is added.
 */
export function encodePrompt(tok: Tokenizer, text: string): number[] {
  if (tok.chatTemplate) return tok.encode(tok.chatTemplate.render(text));
  const ids = tok.encode(text);
  return tok.bos === null ? ids : [tok.bos, ...ids];
}
