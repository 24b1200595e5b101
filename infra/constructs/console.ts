// The web console in AWS: its built files in a private S3 bucket, served only through CloudFront (origin access
// control, HTTPS only) with the console's security headers. The HTTP API allows CORS from this origin alone.
// The same build the local host serves is uploaded by `npm run deploy` after the stack (infra/upload-console.ts),
// with a config.json that names the API: no deployment function of CDK's own joins the stack's functions.
import { CfnOutput, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { consoleSecurityHeaders } from '../../console/headers.ts';
import { acknowledge } from '../checks.ts';

export class Console extends Construct {
  readonly bucket: Bucket;
  readonly distribution: Distribution;
  /** https://<distribution domain>: the one origin the API's CORS allows. */
  readonly origin: string;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.bucket = new Bucket(this, 'Files', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledge(
      this.bucket,
      'S1',
      "It holds only the console's built files, which the deployment writes; CloudFront serves them and reads are not worth an access log",
    );

    // The API is on execute-api in this region; naming it exactly would make the distribution and the API's CORS
    // depend on each other.
    const headers = consoleSecurityHeaders(`https://*.execute-api.${Stack.of(this).region}.amazonaws.com`);
    const policy = new ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: "The console's security headers, as the local host sends them",
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: headers['content-security-policy']!, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
      },
    });
    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'Jobs web console',
      defaultRootObject: 'index.html',
      httpVersion: HttpVersion.HTTP2_AND_3,
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        // The files' own Cache-Control decides: assets for good, the page and its config never.
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: policy,
        compress: true,
      },
    });
    acknowledge(
      this.distribution,
      'CFR1',
      'The console is for operators anywhere; every API call it makes needs an API key',
    );
    acknowledge(
      this.distribution,
      'CFR2',
      'Static files only, behind a strict CSP; the API it calls has its own throttling',
    );
    acknowledge(
      this.distribution,
      'CFR3',
      "Static files only: the API's access logs record every call the console makes",
    );
    acknowledge(
      this.distribution,
      'CFR4',
      'The default CloudFront certificate; a custom domain with its certificate sets TLSv1.2_2021 as the minimum',
    );
    this.origin = `https://${this.distribution.distributionDomainName}`;
    new CfnOutput(this, 'Url', { value: `${this.origin}/`, description: 'The web console' });
    new CfnOutput(this, 'BucketName', {
      value: this.bucket.bucketName,
      description: "The console's files (npm run deploy uploads them)",
    });
    new CfnOutput(this, 'DistributionId', {
      value: this.distribution.distributionId,
      description: 'The CloudFront distribution of the console',
    });
  }
}
