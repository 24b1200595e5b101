// The plain rules of secrets: references, picking a key, what is masked and how, and which ARNs a pattern links.
import { describe, expect, it } from 'vitest';
import { arnMatches } from '../../functions/core/secret-service.ts';
import {
  maskable,
  maskLine,
  parseReference,
  pickValue,
  registryLogin,
  secretsFieldErrors,
  SecretUnusableError,
} from '../../functions/core/secrets.ts';

describe('secrets', () => {
  it('reads a reference as a name and an optional key', () => {
    expect(parseReference('db-password')).toEqual({ name: 'db-password', key: null });
    expect(parseReference('vendor#token')).toEqual({ name: 'vendor', key: 'token' });
  });

  it('picks one key of a JSON object, and says which secret lacks it without its value', () => {
    expect(pickValue({ name: 's', key: null }, '{"a":1}')).toBe('{"a":1}');
    expect(pickValue({ name: 's', key: 'a' }, '{"a":"x","b":2}')).toBe('x');
    expect(pickValue({ name: 's', key: 'b' }, '{"a":"x","b":2}')).toBe('2');
    expect(() => pickValue({ name: 's', key: 'c' }, '{"a":"hidden"}')).toThrow(
      new SecretUnusableError("secret 's' has no key 'c'"),
    );
    expect(() => pickValue({ name: 's', key: 'c' }, 'not json hidden')).toThrow(/is not a JSON object/);
    expect(() => registryLogin('login', '{"username":"u"}')).toThrow(
      /must be a JSON object with username and password/,
    );
  });

  it('masks each line of each value of 4 characters or more, the longest first', () => {
    const values = maskable(['abc', 'secret', 'my-secret-value', 'line one\nline two']);
    expect(values).toEqual(['my-secret-value', 'line one', 'line two', 'secret']);
    expect(maskLine('x my-secret-value y secret abc', values)).toBe('x *** y *** abc');
    expect(maskLine('line two, then line one', values)).toBe('***, then ***');
  });

  it('refuses a variable that is not a shell name, in env too, or a reference of the wrong shape', () => {
    expect(secretsFieldErrors({ OK: 'a#b' }, {})).toEqual([]);
    expect(secretsFieldErrors({ '1X': 'a', DUP: 'a', BAD: 'a b' }, { DUP: 'x' }).map((e) => e.field)).toEqual([
      'secrets.1X',
      'secrets.DUP',
      'secrets.BAD',
    ]);
  });

  it('links an ARN only where a pattern matches it, * standing for any text', () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:team-a/db-AbCdEf';
    expect(arnMatches(arn, 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:team-a/*')).toBe(true);
    expect(arnMatches(arn, 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:team-b/*')).toBe(false);
    expect(arnMatches(arn, 'arn:aws:secretsmanager:*:123456789012:secret:team-a/db-??????')).toBe(false);
  });
});
