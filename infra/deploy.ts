// `npm run deploy [-- cdk options]`: deploys the stack with `cdk deploy`, then uploads the web console to the
// bucket the stack made (upload-console.ts), with the API URL it output.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import { S3Client } from '@aws-sdk/client-s3';
import { targetFromOutputs, uploadConsole } from './upload-console.ts';

const outputs = join(mkdtempSync(join(tmpdir(), 'jobs-deploy-')), 'outputs.json');
const deployed = spawnSync('npx', ['cdk', 'deploy', '--outputs-file', outputs, ...process.argv.slice(2)], {
  stdio: 'inherit',
});
if (deployed.status !== 0) process.exit(deployed.status ?? 1);
const target = targetFromOutputs(JSON.parse(readFileSync(outputs, 'utf8')));
const uploaded = await uploadConsole({ s3: new S3Client({}), cloudfront: new CloudFrontClient({}) }, target);
console.log(
  `console: ${uploaded.length} files uploaded to s3://${target.bucket} (CloudFront distribution ${target.distributionId})`,
);
