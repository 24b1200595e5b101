// The floor of a synthesis: the CDK CLI and aws-cdk-lib loading, and one stack with a single resource.
import { App, Stack } from 'aws-cdk-lib';
import { Topic } from 'aws-cdk-lib/aws-sns';

const app = new App();
new Topic(new Stack(app, 'Empty'), 'Topic');
app.synth();
