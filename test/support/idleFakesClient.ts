/** Starts test/support/idleFakes.ts in a process of its own and reads what it logged. */
import { spawn, ChildProcess } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { FakeControl, LoggedRequest } from "./idleFakes";

export interface IdleFakes {
  ports: { imds: number; arm: number; jupyter: number };
  /** Replaces the control file (read by the fakes on every request). */
  control(c: FakeControl): void;
  /** Every request so far, in order. */
  requests(): LoggedRequest[];
  /** Forgets the requests so far. */
  clear(): void;
  stop(): Promise<void>;
}

const ROOT = path.join(__dirname, "..", "..");

export async function startIdleFakes(dir: string, initial: FakeControl): Promise<IdleFakes> {
  const controlFile = path.join(dir, "fakes-control.json");
  const logFile = path.join(dir, "fakes-log.jsonl");
  fs.writeFileSync(controlFile, JSON.stringify(initial));
  fs.writeFileSync(logFile, "");
  const proc: ChildProcess = spawn(process.execPath, ["--require", "@swc-node/register", "test/support/idleFakes.ts", controlFile, logFile], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let err = "";
  proc.stderr?.on("data", (d) => (err += d));
  const ports = await new Promise<IdleFakes["ports"]>((resolve, reject) => {
    let out = "";
    const t = setTimeout(() => reject(new Error(`the idle fakes did not start in 30 s: ${err}`)), 30_000);
    proc.stdout?.on("data", (d) => {
      out += d;
      if (out.includes("\n")) {
        clearTimeout(t);
        resolve(JSON.parse(out.split("\n")[0]) as IdleFakes["ports"]);
      }
    });
    proc.once("exit", (code) => reject(new Error(`the idle fakes exited (${code}): ${err}`)));
  });
  return {
    ports,
    control: (c) => fs.writeFileSync(controlFile, JSON.stringify(c)),
    requests: () =>
      fs
        .readFileSync(logFile, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as LoggedRequest),
    clear: () => fs.writeFileSync(logFile, ""),
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once("exit", () => resolve());
        proc.kill("SIGTERM");
      }),
  };
}
