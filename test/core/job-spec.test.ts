import { describe, expect, it } from 'vitest';
import {
  envErrors,
  fargatePairError,
  isImageReference,
  normalizeCommand,
  retryDecision,
  smallestCpuFor,
  smallestMemoryFor,
  tagErrors,
} from '../../functions/core/job-spec.ts';

describe('retryDecision', () => {
  it('matches a rule by any of its exit codes, the first rule that names the code winning', () => {
    const rules = [
      { exit_codes: [2, 64, 75], action: 'fail' as const },
      { exit_codes: [1, 137], action: 'retry' as const },
      { exit_codes: [75], action: 'retry' as const },
    ];
    expect(retryDecision(rules, 2)).toBe('fail');
    expect(retryDecision(rules, 75)).toBe('fail');
    expect(retryDecision(rules, 137)).toBe('retry');
    expect(retryDecision(rules, 3)).toBeNull();
    expect(retryDecision([], 1)).toBeNull();
  });
});

describe('task sizes given alone', () => {
  it('pairs a cpu with its smallest memory and a memory with its smallest cpu, and nothing with an invalid one', () => {
    expect([0.25, 0.5, 1, 2, 4, 8, 16].map(smallestMemoryFor)).toEqual([512, 1024, 2048, 4096, 8192, 16384, 32768]);
    expect([512, 1536, 3072, 8192, 9216, 32768, 65536, 122880].map(smallestCpuFor)).toEqual([
      0.25,
      null,
      0.5,
      1,
      2,
      8,
      16,
      16,
    ]);
    expect(smallestMemoryFor(3)).toBeNull();
    expect(smallestCpuFor(1000)).toBeNull();
  });
});

describe('isImageReference', () => {
  it.each([
    'alpine',
    'alpine:3.20',
    'library/alpine:3.20',
    'public.ecr.aws/docker/library/alpine:3.20',
    '123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:v1.2.3',
    'localhost:5000/app',
    'ghcr.io/org/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    'ghcr.io/org/app:1.0@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
  ])('accepts %s', (image) => expect(isImageReference(image)).toBe(true));

  it.each([
    '',
    'Alpine',
    'alpine:',
    'alpine::1',
    'has space',
    '-leading/dash',
    'app@sha256:short',
    `a:${'x'.repeat(129)}`,
  ])('rejects %j', (image) => expect(isImageReference(image)).toBe(false));
});

describe('fargatePairError', () => {
  it.each([
    [0.25, 512],
    [0.25, 1024],
    [0.25, 2048],
    [0.5, 1024],
    [0.5, 4096],
    [1, 2048],
    [1, 8192],
    [2, 16384],
    [4, 30720],
    [8, 16384],
    [8, 61440],
    [16, 32768],
    [16, 122880],
  ])('accepts cpu %s with %s MiB', (cpu, memory) => expect(fargatePairError(cpu, memory)).toBeNull());

  it('names memory_mb and lists what fits when the pair is invalid', () => {
    expect(fargatePairError(1, 512)).toEqual({
      field: 'memory_mb',
      message: '512 is not valid with cpu 1; use 2048-8192 in steps of 1024',
    });
    expect(fargatePairError(0.25, 1536)?.message).toBe('1536 is not valid with cpu 0.25; use 512, 1024 or 2048');
    expect(fargatePairError(8, 17408)?.field).toBe('memory_mb');
  });

  it('names cpu when the vCPU value does not exist', () => {
    expect(fargatePairError(3, 8192)?.field).toBe('cpu');
  });
});

describe('env and tags', () => {
  it('names each variable that is not a shell name', () => {
    expect(envErrors({ GOOD_1: 'x', '1BAD': 'y', 'NO-DASH': 'z' }).map((e) => e.field)).toEqual([
      'env.1BAD',
      'env.NO-DASH',
    ]);
  });

  it('limits env to 100 variables and 32 KiB in all', () => {
    const many = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`V${i}`, '']));
    expect(envErrors(many)).toEqual([{ field: 'env', message: 'at most 100 variables, got 101' }]);
    expect(envErrors({ BIG: 'x'.repeat(32 * 1024) })[0]?.message).toMatch(/exceed 32768 bytes/);
  });

  it('limits tags to 50, keys to 128 characters without colons, values to 256', () => {
    expect(tagErrors(Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])))[0]?.field).toBe('tags');
    expect(tagErrors({ 'a:b': 'v' })[0]?.field).toBe('tags.a:b');
    expect(tagErrors({ k: 'v'.repeat(257) })[0]?.message).toMatch(/at most 256/);
    expect(tagErrors({ 'team name/ü': 'v'.repeat(256) })).toEqual([]);
  });
});

describe('normalizeCommand', () => {
  it('runs a string through /bin/sh -c and keeps an array as it is', () => {
    expect(normalizeCommand('echo hi && exit 3')).toEqual(['/bin/sh', '-c', 'echo hi && exit 3']);
    expect(normalizeCommand(['echo', 'hi'])).toEqual(['echo', 'hi']);
  });
});
