import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SignalFrame } from '../../src/signal/transport.js';
import { type TransportEnd, TransportHandlers } from '../../src/signal/transport-handlers.js';

describe('TransportHandlers', () => {
  it('holds frames that arrive before the frame handler and delivers them in order when it is set', () => {
    const handlers = new TransportHandlers();
    handlers.deliver('a');
    handlers.deliver('b');
    handlers.deliver('c');
    const seen: SignalFrame[] = [];
    handlers.onFrame((frame) => seen.push(frame));
    assert.deepEqual(seen, ['a', 'b', 'c']);
    handlers.deliver('d');
    assert.deepEqual(seen, ['a', 'b', 'c', 'd'], 'later frames go straight to the handler');
  });

  it('sends frames to the newest handler only, and delivers nothing twice', () => {
    const handlers = new TransportHandlers();
    handlers.deliver('a');
    const first: SignalFrame[] = [];
    const second: SignalFrame[] = [];
    handlers.onFrame((frame) => first.push(frame));
    handlers.onFrame((frame) => second.push(frame));
    handlers.deliver('b');
    assert.deepEqual(first, ['a']);
    assert.deepEqual(second, ['b']);
  });

  it('runs each close handler once, in the order added, with the code and reason', () => {
    const handlers = new TransportHandlers();
    const calls: string[] = [];
    handlers.onClose((code, reason) => calls.push(`one ${code} ${reason}`));
    handlers.onClose((code, reason) => calls.push(`two ${code} ${reason}`));
    assert.equal(handlers.closed, false);
    assert.equal(handlers.finish({ code: 4000, reason: 'bye' }), true);
    assert.equal(handlers.closed, true);
    assert.equal(handlers.finish({ code: 4001, reason: 'again' }), false, 'a second end is refused');
    assert.deepEqual(calls, ['one 4000 bye', 'two 4000 bye']);
    assert.deepEqual(handlers.closedWith, { code: 4000, reason: 'bye' }, 'the first end stays');
  });

  it('runs a close handler added after the end at once, with the same code and reason', () => {
    const handlers = new TransportHandlers();
    handlers.finish({ code: 1006, reason: 'gone' });
    const calls: Array<[number, string]> = [];
    handlers.onClose((code, reason) => calls.push([code, reason]));
    assert.deepEqual(calls, [[1006, 'gone']]);
    handlers.onClose((code, reason) => calls.push([code, reason]));
    assert.deepEqual(calls, [
      [1006, 'gone'],
      [1006, 'gone'],
    ]);
  });

  it('runs teardown once, after the end is recorded and before the close handlers', () => {
    const handlers = new TransportHandlers();
    const order: string[] = [];
    handlers.onClose(() => order.push('handler'));
    const teardown = () => order.push(`teardown closed=${handlers.closed}`);
    handlers.finish({ code: 1000, reason: '' }, teardown);
    handlers.finish({ code: 1000, reason: '' }, teardown);
    assert.deepEqual(order, ['teardown closed=true', 'handler']);
  });

  it('runs a close handler added during teardown or by another close handler at once', () => {
    const handlers = new TransportHandlers();
    const calls: string[] = [];
    handlers.onClose(() => {
      calls.push('first');
      handlers.onClose((code) => calls.push(`from handler ${code}`));
    });
    handlers.finish({ code: 4002, reason: 'x' }, () =>
      handlers.onClose((code) => calls.push(`from teardown ${code}`)),
    );
    assert.deepEqual(calls, ['from teardown 4002', 'first', 'from handler 4002']);
  });

  it('ignores frames after the end, but still hands over those that came before it unless dropped', () => {
    const kept = new TransportHandlers();
    kept.deliver('a');
    kept.finish({ code: 1000, reason: '' });
    kept.deliver('b');
    const seen: SignalFrame[] = [];
    kept.onFrame((frame) => seen.push(frame));
    assert.deepEqual(seen, ['a']);

    const dropped = new TransportHandlers();
    dropped.deliver('a');
    dropped.finish({ code: 1000, reason: '' }, () => dropped.dropEarly());
    const none: SignalFrame[] = [];
    dropped.onFrame((frame) => none.push(frame));
    assert.deepEqual(none, []);
  });

  it('keeps the whole end record a transport gives it', () => {
    interface End extends TransportEnd {
      by: 'local' | 'peer';
    }
    const handlers = new TransportHandlers<End>();
    const end: End = { code: 4005, reason: 'relay broken', by: 'peer' };
    handlers.finish(end);
    assert.equal(handlers.closedWith, end);
  });
});
