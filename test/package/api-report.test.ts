/**
 * api-report.md is the public surface of every entry point as the built declarations state it: a change
 * to the API shows as a diff of that file in review, and this test fails until the file is regenerated.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { root } from './program.js';

describe('the API report', () => {
  it('matches the public API', () => {
    const generated = execFileSync(process.execPath, ['scripts/api-report.mjs'], {
      cwd: root,
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
    });
    const checkedIn = readFileSync(`${root}api-report.md`, 'utf8');
    expect(checkedIn, 'the public API changed: run `npm run api:update` and commit api-report.md with the change').toBe(generated);
  }, 120_000);
});
