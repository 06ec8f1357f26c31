import type { ApiError, AppEvent, CommandArgs, CommandName, CommandResult, ErrorCode, ExportFile, StagedFile } from '../contract';

/** The one interface the screens talk to; Tauri IPC in the app, HTTP against `revlens serve`. */
export interface Backend {
  /** Runs a command; rejects with an {@link ApiFailure} (an ApiError). */
  call<K extends CommandName>(name: K, args: CommandArgs<K>): Promise<CommandResult<K>>;
  /** Subscribes to job events; returns the unsubscribe function. */
  onEvent(handler: (event: AppEvent) => void): () => void;
  /** A dropped or picked browser File → a path the backend can read. */
  uploadFile(file: File): Promise<StagedFile>;
  /** Opens a file dialog; null when the user cancels. */
  pickFile(): Promise<StagedFile | null>;
  /** Puts a finished export on the user's disk. */
  saveExport(file: ExportFile): Promise<void>;
  /**
   * Opens the page a single sign-on waits on (the `url` of job `job`'s `open_url` event): the
   * system browser in the app (the shell opens only the page that job announced), a new tab in
   * a browser.
   */
  openSignInPage(job: string, url: string): Promise<void>;
}

/** Codes the transports add for failures that never reached the command layer. */
export type ClientErrorCode = 'network' | 'bad_response' | 'not_implemented' | `http_${number}`;
export type FailureCode = ErrorCode | ClientErrorCode;

/**
 * An ApiError (from the backend, or made by a transport) that is also an Error, so
 * rejections carry a stack and `instanceof` works.
 */
export class ApiFailure extends Error {
  readonly code: FailureCode;
  readonly details?: unknown;

  constructor(error: { code: FailureCode; message: string; details?: unknown }) {
    super(error.message);
    this.name = 'ApiFailure';
    this.code = error.code;
    if (error.details !== undefined) this.details = error.details;
  }
}

function isApiError(value: unknown): value is ApiError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ApiError).code === 'string' &&
    typeof (value as ApiError).message === 'string'
  );
}

/** Whatever a transport or a caller threw, as an ApiFailure with words a person can read. */
export function toApiFailure(error: unknown, fallbackCode: FailureCode = 'internal'): ApiFailure {
  if (error instanceof ApiFailure) return error;
  if (isApiError(error)) return new ApiFailure(error);
  if (typeof error === 'object' && error !== null && isApiError((error as { error?: unknown }).error)) {
    return new ApiFailure((error as { error: ApiError }).error);
  }
  if (error instanceof Error) return new ApiFailure({ code: fallbackCode, message: error.message });
  if (typeof error === 'string') return new ApiFailure({ code: fallbackCode, message: error });
  return new ApiFailure({ code: fallbackCode, message: 'Something went wrong (no message from the backend).' });
}

export function isTauri(): boolean {
  return typeof window !== 'undefined' && '__TAURI_INTERNALS__' in window;
}

/** Picks the transport at start-up: Tauri IPC inside the app, HTTP otherwise. */
export async function createBackend(): Promise<Backend> {
  if (isTauri()) {
    const { TauriBackend } = await import('./tauri');
    return new TauriBackend();
  }
  if (import.meta.env.DEV && new URLSearchParams(location.search).has('mock')) {
    const { devBackend } = await import('./fixtures');
    return devBackend();
  }
  const { HttpBackend } = await import('./http');
  return new HttpBackend();
}

/** base64 → bytes (exports travel as base64 in JSON). */
export function base64ToBytes(base64: string): Uint8Array<ArrayBuffer> {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
