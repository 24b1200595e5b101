// Lambda entry: health and the OpenAPI document.
import { systemApi } from '../api/system.ts';
import { awsServices } from '../adapters/aws/services.ts';

export const handler = systemApi(await awsServices());
