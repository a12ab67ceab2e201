// Starts the live view for `siric run` in an interactive terminal: events are folded into the
// state at once, the screen is redrawn at most ten times a second.
import React from 'react';
import { render } from 'ink';
import type { IR } from '../../ir/graph.js';
import type { RunEvent } from '../../runtime/types.js';
import { initialState, reduce, type TuiState } from './state.js';
import { App } from './view.js';

const FRAME_MS = 100;

export interface Tui {
  sink(e: RunEvent): void;
  /** Draw the last frame and release the terminal. */
  close(): void;
}

export function startTui(ir: IR): Tui {
  let state: TuiState = initialState(ir, Date.now());
  const width = (): number => process.stdout.columns ?? 80;
  const view = (): React.ReactElement => React.createElement(App, { state, width: width(), height: process.stdout.rows ?? 24 });
  const instance = render(view(), { exitOnCtrlC: false, patchConsole: false });
  // Redraws come from this timer only, so however fast events arrive the screen changes at most
  // ten times a second (and the clock moves even while a step computes between yields).
  const timer = setInterval(() => {
    state = { ...state, now: Date.now() };
    instance.rerender(view());
  }, FRAME_MS);
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    clearInterval(timer);
    instance.rerender(view());
    instance.unmount();
  };
  return {
    sink(e) {
      state = reduce(state, e, Date.now());
      if (e.type === 'run_end') close();
    },
    close,
  };
}
