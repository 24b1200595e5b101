// Lambda entry: the jobs routes, composed from the AWS platform (only what the jobs function declares).
import { awsPlatform } from '../adapters/aws/platform.ts';
import { httpHandler } from '../composition/http.ts';
import { composeServices } from '../composition/services.ts';

export const handler = await httpHandler('jobs', composeServices(awsPlatform('jobs')));
