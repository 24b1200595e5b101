// Puts the built console into its bucket after the stack is deployed: the content-hashed assets first (cached
// for good), then config.json (the API's URL) and index.html (never cached), then a CloudFront invalidation of
// those two. `npm run deploy` (infra/deploy.ts) runs it after `cdk deploy`, with the stack's outputs.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateInvalidationCommand, type CloudFrontClient } from '@aws-sdk/client-cloudfront';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ensureConsole } from '../console/build.ts';
import { CACHE_FOREVER, CACHE_NEVER, contentType } from '../console/headers.ts';

export interface ConsoleTarget {
  bucket: string;
  distributionId: string;
  apiUrl: string;
}

export async function uploadConsole(
  clients: { s3: S3Client; cloudfront: CloudFrontClient },
  target: ConsoleTarget,
  dir = ensureConsole(),
): Promise<string[]> {
  const put = (key: string, body: Buffer, cache: string) =>
    clients.s3.send(
      new PutObjectCommand({
        Bucket: target.bucket,
        Key: key,
        Body: body,
        ContentType: contentType(key),
        CacheControl: cache,
      }),
    );
  const uploaded: string[] = [];
  for (const name of readdirSync(join(dir, 'assets')).sort()) {
    await put(`assets/${name}`, readFileSync(join(dir, 'assets', name)), CACHE_FOREVER);
    uploaded.push(`assets/${name}`);
  }
  await put('config.json', Buffer.from(JSON.stringify({ api_url: target.apiUrl, admin_key_file: null })), CACHE_NEVER);
  await put('index.html', readFileSync(join(dir, 'index.html')), CACHE_NEVER);
  uploaded.push('config.json', 'index.html');
  await clients.cloudfront.send(
    new CreateInvalidationCommand({
      DistributionId: target.distributionId,
      InvalidationBatch: {
        CallerReference: `console-${Date.now()}`,
        Paths: { Quantity: 3, Items: ['/', '/index.html', '/config.json'] },
      },
    }),
  );
  return uploaded;
}

/** The console's target from `cdk deploy --outputs-file`'s JSON (outputs are named with a hash suffix). */
export function targetFromOutputs(
  outputs: Record<string, Record<string, string>>,
  stack = 'JobsService',
): ConsoleTarget {
  const values = outputs[stack] ?? {};
  const find = (prefix: string) => {
    const key = Object.keys(values).find((k) => k.startsWith(prefix));
    if (!key) throw new Error(`the outputs of ${stack} have no ${prefix}…: deploy the stack first`);
    return values[key]!;
  };
  return { bucket: find('ConsoleBucketName'), distributionId: find('ConsoleDistributionId'), apiUrl: find('ApiUrl') };
}
