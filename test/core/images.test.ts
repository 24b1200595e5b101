import { describe, expect, it } from 'vitest';
import { fullImageName } from '../../functions/core/images.ts';

describe('an image reference in full', () => {
  it.each([
    ['alpine', 'docker.io/library/alpine:latest'],
    ['nope:1', 'docker.io/library/nope:1'],
    ['org/app', 'docker.io/org/app:latest'],
    ['ghcr.io/org/app:2', 'ghcr.io/org/app:2'],
    ['localhost/jobs-test:1', 'localhost/jobs-test:1'],
    ['registry:5000/app', 'registry:5000/app:latest'],
    ['public.ecr.aws/docker/library/alpine@sha256:abc', 'public.ecr.aws/docker/library/alpine@sha256:abc'],
  ])('%s is %s', (image, full) => expect(fullImageName(image)).toBe(full));
});
