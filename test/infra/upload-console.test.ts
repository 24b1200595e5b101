// The console's upload after a deploy, against mocked S3 and CloudFront (neither has a local engine): every built
// file with its type and caching, the assets before the page that names them, config.json naming the API, and the
// page and config invalidated.
import { CloudFrontClient, CreateInvalidationCommand } from '@aws-sdk/client-cloudfront';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureConsole } from '../../console/build.ts';
import { targetFromOutputs, uploadConsole } from '../../infra/upload-console.ts';

describe('the console upload', () => {
  it('puts the assets (cached for good), then config.json and index.html (never cached), then invalidates those', async () => {
    const s3 = mockClient(S3Client);
    const cloudfront = mockClient(CloudFrontClient);
    s3.on(PutObjectCommand).resolves({});
    cloudfront.on(CreateInvalidationCommand).resolves({});
    const dir = ensureConsole();
    const target = {
      bucket: 'jobs-console',
      distributionId: 'E123',
      apiUrl: 'https://abc.execute-api.eu-west-1.amazonaws.com',
    };
    await uploadConsole(
      { s3: new S3Client({ region: 'eu-west-1' }), cloudfront: new CloudFrontClient({ region: 'eu-west-1' }) },
      target,
      dir,
    );

    const puts = s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input);
    const assets = readdirSync(join(dir, 'assets')).sort();
    expect(puts.map((p) => [p.Key, p.ContentType, p.CacheControl])).toEqual([
      ...assets.map((name) => [
        `assets/${name}`,
        name.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8',
        'public, max-age=31536000, immutable',
      ]),
      ['config.json', 'application/json', 'no-cache'],
      ['index.html', 'text/html; charset=utf-8', 'no-cache'],
    ]);
    expect(puts.every((p) => p.Bucket === 'jobs-console')).toBe(true);
    expect(JSON.parse(String(puts.find((p) => p.Key === 'config.json')!.Body))).toEqual({
      api_url: target.apiUrl,
      admin_key_file: null,
    });
    const [invalidation] = cloudfront.commandCalls(CreateInvalidationCommand).map((call) => call.args[0].input);
    expect(invalidation).toMatchObject({
      DistributionId: 'E123',
      InvalidationBatch: { Paths: { Quantity: 3, Items: ['/', '/index.html', '/config.json'] } },
    });
  });

  it("reads its target from cdk deploy's outputs, and says which is missing", () => {
    const outputs = {
      JobsService: {
        ConsoleBucketName4A1B: 'b',
        ConsoleDistributionId77C2: 'E1',
        ApiUrl9F00: 'https://x',
        EventBusName: 'bus',
      },
    };
    expect(targetFromOutputs(outputs)).toEqual({ bucket: 'b', distributionId: 'E1', apiUrl: 'https://x' });
    expect(() => targetFromOutputs({ JobsService: {} })).toThrow(
      'the outputs of JobsService have no ConsoleBucketName…: deploy the stack first',
    );
  });
});
