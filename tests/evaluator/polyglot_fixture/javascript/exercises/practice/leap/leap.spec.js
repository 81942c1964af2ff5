import { isLeap } from './leap';

describe('A leap year', () => {
  test('year not divisible by 4 in common year', () => {
    expect(isLeap(2015)).toBe(false);
  });

  xtest('year divisible by 4, not divisible by 100 in leap year', () => {
    expect(isLeap(1996)).toBe(true);
  });

  // a comment with test('not a test') and a regular expression: /test\(/
  xtest("year divisible by 100, not divisible by 400: it's common", () => {
    expect(`${isLeap(2100)}`).toMatch(/^false$/);
  });
});
