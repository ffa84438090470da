import { writeSync } from 'node:fs';

// The alternate screen keeps the operator's scrollback intact; the cursor is hidden so it does not flicker
// across each redraw. LEAVE undoes both, in the order a terminal expects.
const ENTER = '\x1b[?1049h\x1b[?25l';
const LEAVE = '\x1b[?25h\x1b[?1049l';
const HOME = '\x1b[H';
const CLEAR_LINE_END = '\x1b[K';
const CLEAR_SCREEN_END = '\x1b[J';
const CTRL_C = '\x03';
// One key: an escape sequence (an arrow, a function key) whole, else one character.
// biome-ignore lint/suspicious/noControlCharactersInRegex: ESC begins a terminal's escape sequences
const KEY = /\u001b\[[0-9;]*[A-Za-z~]|[\s\S]/gu;

const QUIT_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export interface LiveScreenHandlers {
  /** One keypress (a character, or an escape sequence). */
  onKey(key: string): void;
  /** The operator asked to quit (`q`, Ctrl-C) or a signal came; the screen is already restored. */
  onQuit(reason: string): void;
  /** The terminal changed size: redraw. */
  onResize(): void;
}

/**
 * A full-screen view on a terminal, like `top`. Whatever ends it (a key, a signal, an exception, the process
 * exiting), the terminal gets its main screen, its cursor and its line mode back: `close` is idempotent and a
 * last-resort 'exit' hook writes the restore synchronously.
 */
export class LiveScreen {
  private active = false;
  private handlers?: LiveScreenHandlers;

  constructor(
    private readonly input: NodeJS.ReadStream,
    private readonly output: NodeJS.WriteStream,
  ) {}

  open(handlers: LiveScreenHandlers): void {
    if (this.active) return;
    this.active = true;
    this.handlers = handlers;
    this.output.write(ENTER);
    // Raw mode delivers each key at once, unechoed; Ctrl-C then arrives as a byte, not as SIGINT.
    if (this.input.isTTY) this.input.setRawMode(true);
    this.input.setEncoding('utf8');
    this.input.on('data', this.onData);
    this.input.resume();
    this.output.on('resize', this.onResize);
    for (const signal of QUIT_SIGNALS) process.on(signal, this.onSignal);
    process.on('exit', this.restoreAtExit);
  }

  /**
   * Replaces the screen's content with `lines`, cut to the terminal's width and height so nothing wraps; when
   * they do not fit, the last line (the keys, say) stays and the ones above it are cut.
   */
  draw(lines: string[]): void {
    if (!this.active) return;
    const rows = this.output.rows || 24;
    const columns = this.output.columns || 80;
    const fitting = lines.length <= rows ? lines : [...lines.slice(0, rows - 1), lines.at(-1)!];
    const visible = fitting.map((line) => [...line].slice(0, columns).join('') + CLEAR_LINE_END);
    this.output.write(HOME + visible.join('\n') + CLEAR_SCREEN_END);
  }

  /** Restores the terminal and stops listening; safe to call more than once. */
  close(): void {
    if (!this.active) return;
    this.active = false;
    this.input.off('data', this.onData);
    this.output.off('resize', this.onResize);
    for (const signal of QUIT_SIGNALS) process.off(signal, this.onSignal);
    process.off('exit', this.restoreAtExit);
    if (this.input.isTTY) this.input.setRawMode(false);
    // A paused stdin no longer holds the event loop open, so the command can end.
    this.input.pause();
    this.output.write(LEAVE);
  }

  private quit(reason: string): void {
    const handlers = this.handlers;
    this.close();
    handlers?.onQuit(reason);
  }

  private readonly onData = (chunk: string): void => {
    // A paste or a fast typist can deliver several keys in one chunk; escape sequences (arrows) stay whole.
    for (const key of chunk.match(KEY) ?? []) {
      if (key === 'q' || key === 'Q' || key === CTRL_C) {
        this.quit(key === CTRL_C ? 'Ctrl-C' : 'q');
        return;
      }
      this.handlers?.onKey(key);
    }
  };

  private readonly onResize = (): void => this.handlers?.onResize();

  private readonly onSignal = (signal: NodeJS.Signals): void => this.quit(signal);

  // Asynchronous writes are lost once the process exits; this one reaches the terminal whatever ended it.
  private readonly restoreAtExit = (): void => {
    if (!this.active) return;
    this.active = false;
    try {
      if (this.input.isTTY) this.input.setRawMode(false);
      writeSync((this.output as NodeJS.WriteStream & { fd: number }).fd, LEAVE);
    } catch {
      // the terminal is gone: nothing left to restore
    }
  };
}
