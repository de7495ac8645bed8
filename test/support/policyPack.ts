/**
 * Runs a policy pack directory the way the Pulumi CLI's Node.js language host does (its working
 * directory the pack, `@pulumi/pulumi/cmd/run-policy-pack` resolved from there, the pack's port read
 * from stdout) and talks to it over Pulumi's Analyzer gRPC protocol, as the engine would. The
 * server listens on 127.0.0.1 only; stop() ends it.
 */
import { ChildProcess, spawn } from "child_process";
import * as grpc from "@grpc/grpc-js";
import * as analyzerRpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzer from "@pulumi/pulumi/proto/analyzer_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";

export interface Diagnostic {
  policy: string;
  message: string;
  enforcementLevel: "advisory" | "mandatory" | "disabled" | "remediate";
}

export interface AnalyzeResult {
  diagnostics: Diagnostic[];
  notApplicable: { policy: string; reason: string }[];
}

export interface PolicyInfo {
  name: string;
  enforcementLevel: string;
  configSchema: Record<string, unknown> | undefined;
}

export interface RunningPack {
  info(): Promise<{ name: string; version: string; policies: PolicyInfo[] }>;
  configure(config: Record<string, { enforcementLevel?: string; properties?: Record<string, unknown> }>): Promise<void>;
  analyze(type: string, name: string, props: Record<string, unknown>, opts?: { protect?: boolean }): Promise<AnalyzeResult>;
  /** AnalyzeStack, as the engine calls it at the end of an update: resources with their property dependencies. */
  analyzeStack(
    resources: { type: string; name: string; props: Record<string, unknown>; protect?: boolean; propertyDependencies?: Record<string, string[]> }[],
  ): Promise<AnalyzeResult>;
  stderr(): string;
  stop(): void;
}

const LEVELS = ["advisory", "mandatory", "disabled", "remediate"] as const;

/** The URN a resource of the test stack has. */
export function urnOf(type: string, name: string): string {
  return `urn:pulumi:test::gpu-workbench::${type}::${name}`;
}

function call<T>(fn: (cb: (err: grpc.ServiceError | null, res: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, res) => (err ? reject(err) : resolve(res))));
}

/** Starts the pack in `dir` with `node <run-policy-pack> <engine> .`; resolves once it listens. */
export async function startPolicyPack(dir: string, timeoutMs = 60_000): Promise<RunningPack> {
  const runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [dir] });
  // The engine address is only dialled for log calls, which these policies do not make.
  const child: ChildProcess = spawn(process.execPath, [runner, "127.0.0.1:1", "."], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stderr!.on("data", (d) => (err += String(d)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`policy pack in ${dir} printed no port in ${timeoutMs} ms; stderr: ${err}`)), timeoutMs);
    child.stdout!.on("data", (d) => {
      out += String(d);
      const m = /^(\d+)\s*$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`policy pack in ${dir} exited with ${code}; stderr: ${err}`));
    });
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(new Error(`policy pack in ${dir} did not start: ${e.message}`));
    });
  });
  const client = new analyzerRpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return {
    async info() {
      const res = await call<analyzer.AnalyzerInfo>((cb) => client.getAnalyzerInfo(new Empty(), cb));
      return {
        name: res.getName(),
        version: res.getVersion(),
        policies: res.getPoliciesList().map((p) => ({
          name: p.getName(),
          enforcementLevel: LEVELS[p.getEnforcementlevel()],
          configSchema: p.getConfigschema()?.getProperties()?.toJavaScript() as Record<string, unknown> | undefined,
        })),
      };
    },
    async configure(config) {
      const req = new analyzer.ConfigureAnalyzerRequest();
      for (const [name, c] of Object.entries(config)) {
        const pc = new analyzer.PolicyConfig();
        pc.setEnforcementlevel(LEVELS.indexOf((c.enforcementLevel ?? "mandatory") as (typeof LEVELS)[number]) as analyzer.EnforcementLevel);
        if (c.properties) pc.setProperties(Struct.fromJavaScript(c.properties as never));
        req.getPolicyconfigMap().set(name, pc);
      }
      await call((cb) => client.configure(req, cb));
    },
    async analyze(type, name, props, opts = {}) {
      const req = new analyzer.AnalyzeRequest();
      req.setType(type);
      req.setName(name);
      req.setUrn(urnOf(type, name));
      req.setProperties(Struct.fromJavaScript(props as never));
      const o = new analyzer.AnalyzerResourceOptions();
      o.setProtect(opts.protect ?? false);
      req.setOptions(o);
      const res = await call<analyzer.AnalyzeResponse>((cb) => client.analyze(req, cb));
      return {
        diagnostics: res
          .getDiagnosticsList()
          .map((d) => ({ policy: d.getPolicyname(), message: d.getMessage(), enforcementLevel: LEVELS[d.getEnforcementlevel()] })),
        notApplicable: res.getNotApplicableList().map((n) => ({ policy: n.getPolicyName(), reason: n.getReason() })),
      };
    },
    async analyzeStack(resources) {
      const req = new analyzer.AnalyzeStackRequest();
      req.setResourcesList(
        resources.map((r) => {
          const a = new analyzer.AnalyzerResource();
          a.setType(r.type);
          a.setName(r.name);
          a.setUrn(urnOf(r.type, r.name));
          a.setProperties(Struct.fromJavaScript(r.props as never));
          const o = new analyzer.AnalyzerResourceOptions();
          o.setProtect(r.protect ?? false);
          a.setOptions(o);
          for (const [k, urns] of Object.entries(r.propertyDependencies ?? {})) {
            const d = new analyzer.AnalyzerPropertyDependencies();
            d.setUrnsList(urns);
            a.getPropertydependenciesMap().set(k, d);
          }
          return a;
        }),
      );
      const res = await call<analyzer.AnalyzeResponse>((cb) => client.analyzeStack(req, cb));
      return {
        diagnostics: res
          .getDiagnosticsList()
          .map((d) => ({ policy: d.getPolicyname(), message: d.getMessage(), enforcementLevel: LEVELS[d.getEnforcementlevel()] })),
        notApplicable: res.getNotApplicableList().map((n) => ({ policy: n.getPolicyName(), reason: n.getReason() })),
      };
    },
    stderr: () => err,
    stop() {
      client.close();
      child.kill();
    },
  };
}
