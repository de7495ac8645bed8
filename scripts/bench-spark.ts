/**
 * Spark benchmark: the e2e test's machines (network namespaces, a dockerd each, the locally built
 * image; test/support/sparkHosts.ts) run the cluster the components render; the same PySpark job
 * (read a CSV through s3a://, a total per region, write it back) runs first with one worker,
 * then with the second worker started, and the job's time is printed for both. A benchmark, not
 * a test: it asserts only that the result is right. Needs root, like the e2e tests.
 *
 *   npm run bench:spark [-- --rows N] [--runs N] [--delay S] [--json]
 *
 * --delay: seconds each of the 8 tasks sleeps (default 0); a stand-in for per-task work that
 * does not compete for this machine's two cores, where CPU-bound tasks of two executors would.
 */
import { appCatalog } from "../components/config/appCatalog";
import { containerSettings } from "../components/apps/containers";
import { SPARK_JARS_DIR, sparkCluster } from "../components/cluster/spark";
import { expectedCsv, inputCsv, JOB_PY, pysparkApp } from "../test/support/sparkJob";
import {
  ensureSparkImage,
  installJars,
  LAKE_ADDRESS,
  LAKE_BUCKET,
  LAKE_PORT,
  lakeObjects,
  lakePut,
  runContainer,
  startNotebook,
  startSparkHosts,
  submitJob,
  writeHostFile,
} from "../test/support/sparkHosts";

const MACHINES = [
  { name: "head", address: "10.25.0.10" },
  { name: "worker-1", address: "10.25.0.11" },
  { name: "worker-2", address: "10.25.0.12" },
];

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

async function main(): Promise<void> {
  const rows = arg("rows", 200000);
  const runs = arg("runs", 2);
  const delay = arg("delay", 0);
  const image = appCatalog["jupyter-pyspark"].image!;
  const t0 = Date.now();
  const tarball = ensureSparkImage();
  // Its own namespace names ("gw25b"), so it never collides with a running e2e test.
  const env = await startSparkHosts({ prefix: "gw25b", machines: MACHINES, tag: image, tarball, bridged: ["head"] });
  const setup = (Date.now() - t0) / 1000;
  const results: { workers: number; jobSeconds: number[]; submitSeconds: number[] }[] = [];
  try {
    lakePut(env, "in.csv", inputCsv(rows));
    const rendered = sparkCluster({
      image,
      head: MACHINES[0],
      workers: MACHINES.slice(1),
      workerGpus: 0,
      workerVcpus: 2,
      rapids: false,
      lake: { kind: "s3a", region: "us-east-1", endpoint: `http://${LAKE_ADDRESS}:${LAKE_PORT}` },
    });
    await installJars(env, SPARK_JARS_DIR, rendered.jars);
    rendered.files.forEach((f) => writeHostFile(env, f));
    const [second, ...rest] = rendered.containers.filter((c) => c.node === "worker-2");
    rendered.containers.filter((c) => c.node !== "worker-2").forEach((c) => runContainer(env, c));
    const notebook = containerSettings(pysparkApp(), {
      hostGpu: false,
      dataRoot: "/data/apps",
      sparkDriver: { address: MACHINES[0].address, ports: rendered.driverPorts, volumes: rendered.driverVolumes },
    });
    startNotebook(env, "head", notebook, JOB_PY);
    for (const workers of [1, 2]) {
      if (workers === 2) [second, ...rest].forEach((c) => runContainer(env, c));
      const r = { workers, jobSeconds: [] as number[], submitSeconds: [] as number[] };
      for (let i = 0; i < runs; i++) {
        const out = `bench-${workers}-${i}`;
        const start = Date.now();
        const res = await submitJob<{ seconds: number }>(env, {
          node: "head",
          name: notebook.name,
          args: [`gw25-bench-${workers}w-${i}`, `s3a://${LAKE_BUCKET}/in.csv`, `s3a://${LAKE_BUCKET}/${out}`, String(workers), String(delay), "8"],
        });
        r.submitSeconds.push((Date.now() - start) / 1000);
        r.jobSeconds.push(res.seconds);
        const part = Object.entries(lakeObjects(env, `${out}/`)).find(([k]) => k.endsWith(".csv"));
        if (part?.[1] !== expectedCsv(rows)) throw new Error(`run ${out}: the written result is not the expected totals`);
      }
      results.push(r);
    }
  } finally {
    await env.stop();
  }
  if (process.argv.includes("--json")) {
    console.log(JSON.stringify({ rows, runs, delay, setupSeconds: setup, results }));
    return;
  }
  const f = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(", ");
  console.log(`Spark job: ${rows} CSV rows via s3a, 8 tasks, ${delay} s sleep per task, ${runs} runs each (setup: ${setup.toFixed(0)} s)`);
  for (const r of results) console.log(`  ${r.workers} worker(s): job ${f(r.jobSeconds)} s; submit to exit (session start included) ${f(r.submitSeconds)} s`);
  const best = (w: number) => Math.min(...results.find((r) => r.workers === w)!.jobSeconds);
  console.log(`  speed-up, best job time 1 -> 2 workers: ${(best(1) / best(2)).toFixed(2)}x`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
