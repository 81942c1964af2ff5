'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { render } = require('../template.js');

test('values, paths and escaping', () => {
  const data = { name: 'Ann', user: { address: { city: 'Oslo' } }, n: 0, f: false,
    html: '<b class="x">Tom & Jerry\'s</b>' };
  assert.strictEqual(render('Hi {{name}}, {{  user.address.city  }}!', data), 'Hi Ann, Oslo!');
  assert.strictEqual(render('[{{missing}}][{{user.nope.deeper}}][{{n}}][{{f}}]', data),
    '[][][0][false]');
  assert.strictEqual(render('{{html}}', data),
    '&lt;b class=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/b&gt;');
  assert.strictEqual(render('{{{ html }}}', data), data.html);
  assert.strictEqual(render('no tags', {}), 'no tags');
  assert.strictEqual(render('{{ nothing }}', { nothing: null }), '');
});

test('each with this and @index', () => {
  const data = { users: [{ name: 'Ann' }, { name: '<Bo>' }] };
  assert.strictEqual(render('<p>{{#each users}}{{ @index }}:{{ name }} {{/each}}</p>', data),
    '<p>0:Ann 1:&lt;Bo&gt; </p>');
  assert.strictEqual(render('{{#each xs}}({{this}}){{/each}}', { xs: [1, 'a', null] }),
    '(1)(a)()');
  assert.strictEqual(render('{{#each xs}}x{{/each}}|{{#each s}}y{{/each}}', { s: 'str' }), '|');
  assert.strictEqual(render('{{#each ps}}{{this.id}}{{/each}}', { ps: [{ id: 7 }, { id: 8 }] }),
    '78');
});

test('nested blocks and scope lookup', () => {
  const data = {
    title: 'T',
    groups: [
      { name: 'g1', items: [{ label: 'a' }, { label: 'b', title: 'own' }] },
      { name: 'g2', items: [] },
    ],
  };
  const tpl = '{{#each groups}}{{name}}:{{#if items}}{{#each items}}'
    + '{{label}}/{{name}}/{{title}}/{{@index}};{{/each}}{{else}}empty{{/if}}|{{/each}}';
  assert.strictEqual(render(tpl, data), 'g1:a/g1/T/0;b/g1/own/1;|g2:empty|');
});

test('if and else', () => {
  const tpl = '{{#if ok}}yes{{else}}no{{/if}}';
  assert.strictEqual(render(tpl, { ok: 1 }), 'yes');
  assert.strictEqual(render(tpl, { ok: 0 }), 'no');
  assert.strictEqual(render(tpl, { ok: [] }), 'no');
  assert.strictEqual(render(tpl, { ok: [0] }), 'yes');
  assert.strictEqual(render(tpl, {}), 'no');
  assert.strictEqual(render('{{#if a.b}}[{{a.b}}]{{/if}}', { a: { b: 'x' } }), '[x]');
});

test('errors', () => {
  const bad = ['{{#each xs}}', '{{#if a}}{{/each}}', '{{/if}}', '{{else}}', '{{#with x}}{{/with}}',
    '{{#each}}{{/each}}', '{{#if a}}{{#each b}}{{/if}}{{/each}}', '{{#each xs}}{{else}}{{/each}}'];
  for (const template of bad) {
    assert.throws(() => render(template, { xs: [], a: 1, b: [] }), Error, template);
  }
});
