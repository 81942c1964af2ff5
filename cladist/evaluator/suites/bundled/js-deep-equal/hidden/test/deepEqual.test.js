'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { deepEqual } = require('../deepEqual.js');

test('primitives', () => {
  assert.strictEqual(deepEqual(1, 1), true);
  assert.strictEqual(deepEqual(1, '1'), false);
  assert.strictEqual(deepEqual(NaN, NaN), true);
  assert.strictEqual(deepEqual(0, -0), true);
  assert.strictEqual(deepEqual('a', 'a'), true);
  assert.strictEqual(deepEqual(null, null), true);
  assert.strictEqual(deepEqual(null, undefined), false);
  assert.strictEqual(deepEqual(null, {}), false);
  assert.strictEqual(deepEqual(undefined, undefined), true);
});

test('arrays', () => {
  assert.strictEqual(deepEqual([1, [2, 3]], [1, [2, 3]]), true);
  assert.strictEqual(deepEqual([1, 2], [2, 1]), false);
  assert.strictEqual(deepEqual([1, 2], [1, 2, 3]), false);
  assert.strictEqual(deepEqual([], {}), false);
  assert.strictEqual(deepEqual({ 0: 'a', length: 1 }, ['a']), false);
});

test('objects', () => {
  assert.strictEqual(deepEqual({ a: 1, b: { c: [1, { d: 2 }] } },
    { b: { c: [1, { d: 2 }] }, a: 1 }), true);
  assert.strictEqual(deepEqual({ a: 1 }, { a: 1, b: 2 }), false);
  assert.strictEqual(deepEqual({ a: undefined }, {}), false);
  assert.strictEqual(deepEqual({}, { a: undefined }), false);
  assert.strictEqual(deepEqual({ a: undefined }, { b: undefined }), false);
  assert.strictEqual(deepEqual({ a: { b: 1 } }, { a: { b: 2 } }), false);
});

test('dates and functions', () => {
  assert.strictEqual(deepEqual(new Date(5), new Date(5)), true);
  assert.strictEqual(deepEqual(new Date(5), new Date(6)), false);
  assert.strictEqual(deepEqual(new Date(5), {}), false);
  const f = () => 1;
  assert.strictEqual(deepEqual(f, f), true);
  assert.strictEqual(deepEqual(f, () => 1), false);
});

test('deep nesting', () => {
  let a = 1;
  let b = 1;
  for (let i = 0; i < 500; i += 1) {
    a = { next: [a] };
    b = { next: [b] };
  }
  assert.strictEqual(deepEqual(a, b), true);
});
