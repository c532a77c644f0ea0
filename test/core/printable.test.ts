import { describe, expect, it } from 'vitest';
import { escapeControl, listCapped, quoteValue } from '../../src/core/printable.js';

describe('escapeControl', () => {
  it.each([
    ['plain text, ünïcödé and emoji 🎉 stay', 'plain text, ünïcödé and emoji 🎉 stay'],
    ['\u001b[32mgreen\u001b[0m', '\\u001b[32mgreen\\u001b[0m'],
    ['a\rb\u0007c\u0000d\te\nf', 'a\\u000db\\u0007c\\u0000d\\u0009e\\u000af'],
    ['C1 \u009b31m and DEL \u007f', 'C1 \\u009b31m and DEL \\u007f'],
    ['bidi \u202eevil\u202c \u2066x\u2069 \u200f', 'bidi \\u202eevil\\u202c \\u2066x\\u2069 \\u200f'],
    ['separators \u2028\u2029 and BOM \ufeff', 'separators \\u2028\\u2029 and BOM \\ufeff'],
    ['lone \ud800 surrogate', 'lone \\ud800 surrogate'],
  ])('%j → %j', (text, escaped) => {
    expect(escapeControl(text)).toBe(escaped);
  });

  it('keeps line breaks when asked, escaping the rest', () => {
    expect(escapeControl('a\nb\r\n', { keepNewlines: true })).toBe('a\nb\\u000d\n');
  });

  it('leaves JSON valid and meaning the same', () => {
    const value = { text: '\u009b\u202e\u2028x' };
    expect(JSON.parse(escapeControl(JSON.stringify(value)))).toEqual(value);
  });
});

describe('quoteValue', () => {
  it('quotes short values whole', () => {
    expect(quoteValue('a"b')).toBe('"a\\"b"');
  });

  it('cuts long values at 80 characters and gives their size', () => {
    const quoted = quoteValue('x'.repeat(20 * 1024 * 1024));
    expect(quoted).toBe(`"${'x'.repeat(80)}…" (20971520 bytes)`);
  });

  it('counts bytes of multi-byte text and never splits a character', () => {
    expect(quoteValue('é'.repeat(100))).toBe(`"${'é'.repeat(80)}…" (200 bytes)`);
    expect(quoteValue('🎉'.repeat(81))).toBe(`"${'🎉'.repeat(80)}…" (324 bytes)`);
  });

  it('escapes what it quotes', () => {
    expect(quoteValue('\u001b]0;title\u0007')).toBe('"\\u001b]0;title\\u0007"');
  });
});

describe('listCapped', () => {
  it.each([
    [['a'], 3, undefined, 'a'],
    [['a', 'b', 'c'], 3, undefined, 'a, b, c'],
    [['a', 'b', 'c', 'd', 'e'], 3, undefined, 'a, b, c and 2 more'],
    [['a', 'b', 'c'], 3, 10_000, 'a, b, c and 9997 more'],
  ])('%j (max %i, total %s) → %s', (items, max, total, text) => {
    expect(listCapped(items, max, total)).toBe(text);
  });
});
