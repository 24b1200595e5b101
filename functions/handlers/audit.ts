// Lambda entry: the audit log's routes.
import { awsPlatform } from '../adapters/aws/platform.ts';
import { httpHandler } from '../composition/http.ts';
import { composeServices } from '../composition/services.ts';

export const handler = await httpHandler('audit', composeServices(awsPlatform('audit')));
