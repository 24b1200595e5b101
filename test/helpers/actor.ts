// Who a test's direct calls of the core make their changes as.
import type { Requester } from '../../functions/core/audit.ts';

export const TEST_ACTOR: Requester = {
  key_id: 'key_test',
  key_name: 'test',
  role: 'admin',
  request_id: 'test-request',
  source_ip: null,
};
