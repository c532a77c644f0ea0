import { describe, expect, it } from 'vitest';
import {
  MAX_AUDIT_REASONS,
  auditPass,
  problemLocation,
  type RevisionAudit,
} from '../../src/core/revision-audit.js';
import type { ManifestProblem } from '../../src/core/types.js';

const GOOD = 'a'.repeat(40);
const BAD = 'b'.repeat(40);
const FIX = 'c'.repeat(40);

const problem = (file: string, line: number, message = 'priority must be at most 254'): ManifestProblem => ({
  code: 'schema',
  file,
  line,
  col: 3,
  path: '/spec/nodes/1/priority',
  message,
});

describe('auditPass', () => {
  const cases: {
    name: string;
    previous: RevisionAudit | undefined;
    pass: Parameters<typeof auditPass>[1];
    expected: RevisionAudit;
  }[] = [
    {
      name: 'a clean pass applies its revision',
      previous: undefined,
      pass: { revision: GOOD, problems: [], failedActions: [], atMs: 1000 },
      expected: {
        applied: { revision: GOOD, atMs: 1000 },
        attempted: { revision: GOOD, atMs: 1000, outcome: 'applied', reasons: [], reasonCount: 0 },
      },
    },
    {
      name: 'a bad commit is attempted with file@commit:line; the applied revision stays',
      previous: {
        applied: { revision: GOOD, atMs: 1000 },
        attempted: { revision: GOOD, atMs: 1000, outcome: 'applied', reasons: [], reasonCount: 0 },
      },
      pass: {
        revision: BAD,
        problems: [problem(`cluster/gitops.yaml@${BAD.slice(0, 12)}`, 10)],
        failedActions: [],
        atMs: 2000,
      },
      expected: {
        applied: { revision: GOOD, atMs: 1000 },
        attempted: {
          revision: BAD,
          atMs: 2000,
          outcome: 'invalid-manifests',
          reasons: [`cluster/gitops.yaml@${BAD.slice(0, 12)}:10: priority must be at most 254`],
          reasonCount: 1,
        },
      },
    },
    {
      name: 'a failed action keeps the revision from being applied',
      previous: undefined,
      pass: {
        revision: FIX,
        problems: [],
        failedActions: [{ vip: 'web', node: 'n2', error: 'image missing' }],
        atMs: 3000,
      },
      expected: {
        attempted: {
          revision: FIX,
          atMs: 3000,
          outcome: 'actions-failed',
          reasons: ['web on n2: image missing'],
          reasonCount: 1,
        },
      },
    },
    {
      name: 'the same revision applied again keeps the time it was first applied',
      previous: {
        applied: { revision: GOOD, atMs: 1000 },
        attempted: { revision: GOOD, atMs: 1000, outcome: 'applied', reasons: [], reasonCount: 0 },
      },
      pass: { revision: GOOD, problems: [], failedActions: [], atMs: 5000 },
      expected: {
        applied: { revision: GOOD, atMs: 1000 },
        attempted: { revision: GOOD, atMs: 5000, outcome: 'applied', reasons: [], reasonCount: 0 },
      },
    },
    {
      name: 'the fixing commit after a bad one is applied',
      previous: {
        applied: { revision: GOOD, atMs: 1000 },
        attempted: {
          revision: BAD,
          atMs: 2000,
          outcome: 'invalid-manifests',
          reasons: ['x'],
          reasonCount: 1,
        },
      },
      pass: { revision: FIX, problems: [], failedActions: [], atMs: 6000 },
      expected: {
        applied: { revision: FIX, atMs: 6000 },
        attempted: { revision: FIX, atMs: 6000, outcome: 'applied', reasons: [], reasonCount: 0 },
      },
    },
  ];
  it.each(cases)('$name', ({ previous, pass, expected }) => {
    expect(auditPass(previous, pass)).toEqual(expected);
  });

  it('keeps at most MAX_AUDIT_REASONS reasons and counts them all', () => {
    const problems = Array.from({ length: 1000 }, (_, i) => problem('/m/web.yaml', i + 1));
    const audit = auditPass(undefined, {
      revision: 'sha256:0123456789abcdef',
      problems,
      failedActions: [],
      atMs: 1,
    });
    expect(audit.attempted.reasons).toHaveLength(MAX_AUDIT_REASONS);
    expect(audit.attempted.reasonCount).toBe(1000);
  });
});

describe('problemLocation', () => {
  it.each([
    [
      'a git file already named by its commit',
      `m/web.yaml@${BAD.slice(0, 12)}`,
      BAD,
      `m/web.yaml@${BAD.slice(0, 12)}:7`,
    ],
    [
      'a directory file gets the content hash',
      '/etc/m/web.yaml',
      'sha256:0123456789abcdef',
      '/etc/m/web.yaml@sha256:0123456789abcdef:7',
    ],
    ['a file whose name holds another @', 'm/a@b.yaml', BAD, `m/a@b.yaml@${BAD}:7`],
  ])('%s', (_name, file, revision, expected) => {
    expect(problemLocation({ file, line: 7 }, revision)).toBe(expected);
  });
});
