/**
 * What `pulumi up` does with an error the program does not catch (an `apply` that throws, a failed
 * registration): it fails the run. Under the mock runtime such errors surface only as unhandled
 * promise rejections, and the resources after them are silently missing. The plan collects them
 * here and fails the same way.
 */
import { WorkbenchConfigError } from "../../components/config/parse";

/** The program failed with errors it did not handle; `message` lists them, one per line. */
export class ProgramFailedError extends Error {
  constructor(public readonly errors: string[]) {
    super(errors.join("\n"));
    this.name = "ProgramFailedError";
  }
}

export interface ErrorCapture {
  /** Records an error the caller caught from the program (a stack output that failed to resolve). */
  record(e: unknown): void;
  /** Lets pending rejections reach the handlers, then stops listening. */
  stop(): Promise<void>;
  /**
   * Throws when anything was caught: a WorkbenchConfigError when every error was one (a config
   * problem found inside an apply), else a ProgramFailedError.
   */
  throwIfAny(): void;
}

/** Starts collecting unhandled rejections and uncaught exceptions. */
export function captureProgramErrors(): ErrorCapture {
  const errors: unknown[] = [];
  const onError = (e: unknown) => errors.push(e);
  process.on("unhandledRejection", onError);
  process.on("uncaughtException", onError);
  return {
    record: onError,
    async stop() {
      // Rejections are reported after the microtask queue drains: give them two turns.
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
      process.off("unhandledRejection", onError);
      process.off("uncaughtException", onError);
    },
    throwIfAny() {
      if (errors.length === 0) return;
      if (errors.every((e) => e instanceof WorkbenchConfigError)) {
        throw new WorkbenchConfigError([...new Set(errors.flatMap((e) => (e as WorkbenchConfigError).problems))]);
      }
      // One Pulumi failure is reported once per dependent resource; say each once.
      throw new ProgramFailedError([...new Set(errors.map((e) => (e instanceof Error ? e.message : String(e))))]);
    },
  };
}
