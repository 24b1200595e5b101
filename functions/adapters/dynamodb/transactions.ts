// Why a TransactWriteItems call was refused: one code per item of the transaction, in order.
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';

/** The cancellation reason of each item ('ConditionalCheckFailed', 'None', …), or null for another error. */
export function cancellationCodes(error: unknown): string[] | null {
  return error instanceof TransactionCanceledException ? (error.CancellationReasons ?? []).map((reason) => reason.Code ?? 'None') : null;
}
