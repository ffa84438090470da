import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { METHOD_HANDLERS } from '../../server/signal/signal-methods.js';
import { METHODS } from '../../src/signal/protocol.js';
import { REQUEST_SPECS } from '../../src/signal/request-specs.js';

describe('signalling methods', () => {
  it('lists each method once', () => {
    assert.equal(new Set(METHODS).size, METHODS.length, `duplicates in ${METHODS.join(', ')}`);
  });

  it('has a handler on the node for exactly the methods of the protocol', () => {
    assert.deepEqual(new Set(Object.keys(METHOD_HANDLERS)), new Set(METHODS));
    for (const method of METHODS) assert.equal(typeof METHOD_HANDLERS[method], 'function', method);
  });

  it('has a request spec for exactly the methods of the protocol', () => {
    assert.deepEqual(new Set(Object.keys(REQUEST_SPECS)), new Set(METHODS));
  });
});
