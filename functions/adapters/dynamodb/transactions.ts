// Conditional writes: why a TransactWriteItems call was refused (one code per item, in order), and a
// conditional update's answer as a boolean.
import {
  ConditionalCheckFailedException,
  TransactionCanceledException,
  UpdateItemCommand,
  type Update,
} from '@aws-sdk/client-dynamodb';
import type { DynamoTable } from './table-client.ts';

/** The cancellation reason of each item ('ConditionalCheckFailed', 'None', …), or null for another error. */
export function cancellationCodes(error: unknown): string[] | null {
  return error instanceof TransactionCanceledException
    ? (error.CancellationReasons ?? []).map((reason) => reason.Code ?? 'None')
    : null;
}

/** Sends a conditional update: true when it applied, false when its condition did not hold. */
export async function updateIfCondition(table: DynamoTable, update: Update): Promise<boolean> {
  try {
    await table.send(new UpdateItemCommand(update));
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}
