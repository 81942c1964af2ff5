'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { Emitter } = require('../emitter.js');

test('on and emit with arguments, in order', () => {
  const e = new Emitter();
  const calls = [];
  assert.strictEqual(e.on('x', (a, b) => calls.push(['first', a, b])), e);
  e.on('x', (a) => calls.push(['second', a]));
  assert.strictEqual(e.emit('x', 1, 2), true);
  assert.deepStrictEqual(calls, [['first', 1, 2], ['second', 1]]);
  assert.strictEqual(e.emit('nothing'), false);
});

test('once runs once', () => {
  const e = new Emitter();
  let n = 0;
  e.once('x', () => { n += 1; });
  assert.strictEqual(e.listenerCount('x'), 1);
  e.emit('x');
  e.emit('x');
  assert.strictEqual(n, 1);
  assert.strictEqual(e.listenerCount('x'), 0);
});

test('off removes the earliest registration', () => {
  const e = new Emitter();
  let n = 0;
  const f = () => { n += 1; };
  e.on('x', f).on('x', f).once('y', f);
  e.off('x', f).off('y', f).off('x', () => {}).off('zzz', f);
  assert.strictEqual(e.listenerCount('x'), 1);
  assert.strictEqual(e.listenerCount('y'), 0);
  e.emit('x');
  e.emit('y');
  assert.strictEqual(n, 1);
});

test('changes during emit do not affect that emit', () => {
  const e = new Emitter();
  const calls = [];
  const late = () => calls.push('late');
  e.on('x', () => { calls.push('a'); e.on('x', late); e.off('x', b); });
  const b = () => calls.push('b');
  e.on('x', b);
  e.emit('x');
  assert.deepStrictEqual(calls, ['a', 'b']);
  e.emit('x');
  assert.deepStrictEqual(calls, ['a', 'b', 'a', 'late']);
});

test('a once listener that re-emits is called once', () => {
  const e = new Emitter();
  let n = 0;
  e.once('x', () => { n += 1; e.emit('x'); });
  e.emit('x');
  assert.strictEqual(n, 1);
});

test('errors propagate', () => {
  const e = new Emitter();
  let called = false;
  e.on('x', () => { throw new Error('boom'); });
  e.on('x', () => { called = true; });
  assert.throws(() => e.emit('x'), /boom/);
  assert.strictEqual(called, false);
});
