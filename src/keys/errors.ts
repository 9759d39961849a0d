// Why a key reference could not be turned into public keys. The engine reports
// these as an `error` verdict for the one requirement that needed the key.

export type KeyErrorCode =
  | 'KEY_NO_KUBECONFIG'
  | 'KEY_SECRET_NOT_FOUND'
  | 'KEY_SECRET_NO_KEY'
  | 'KEY_NOT_PUBLIC'
  | 'KEY_BAD_URI'
  | 'KEY_NO_CREDENTIALS'
  | 'KEY_NOT_FOUND'
  | 'KEY_ACCESS_DENIED'
  | 'KEY_PROVIDER_UNAVAILABLE'
  | 'KEY_FETCH_FAILED'
  | 'KEY_OFFLINE';

export class KeyResolveError extends Error {
  constructor(
    readonly code: KeyErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
