'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { capitalize } = require('../capitalize.js');

test('capitalizes a word', () => {
  assert.strictEqual(capitalize('hello'), 'Hello');
});

test('keeps the rest unchanged', () => {
  assert.strictEqual(capitalize('mcDonald'), 'McDonald');
  assert.strictEqual(capitalize('Already'), 'Already');
  assert.strictEqual(capitalize('x'), 'X');
});

test('empty string', () => {
  assert.strictEqual(capitalize(''), '');
});
