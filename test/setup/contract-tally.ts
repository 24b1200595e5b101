// Each test file reports how many responses it checked against the served OpenAPI document.
import { afterAll } from 'vitest';
import { recordValidatedCount } from '../helpers/contract.ts';

afterAll(() => recordValidatedCount());
