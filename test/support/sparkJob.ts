/**
 * The PySpark job of the Spark e2e test and benchmark, its input and its exact expected output.
 * It runs in the head's notebook container as a notebook would: `SparkSession.builder.getOrCreate()`
 * with nothing but the driver settings the components render (spark-defaults.conf).
 */

import type { AppSpec } from "../../components/config/spec";
import { parseWorkbenchConfig } from "../../components/config/parse";
// The built-in targets (the config names one), as the package entry registers them.
import "../../components/targets";
import { DANIEL_KEY } from "./fixtures";

/** The jupyter-pyspark app as a workbench config gives it (the driver of the cluster). */
export function pysparkApp(): AppSpec {
  return parseWorkbenchConfig({ target: "local", users: [{ name: "daniel", sshPublicKey: DANIEL_KEY, admin: true }], apps: [{ kind: "jupyter-pyspark" }] })
    .apps[0];
}

/** Input rows: a header and `rows` lines of region,amount (deterministic). */
export const REGIONS = ["central", "east", "north", "south", "west"];
export function inputCsv(rows: number): string {
  const lines = ["region,amount"];
  for (let i = 0; i < rows; i++) lines.push(`${REGIONS[i % REGIONS.length]},${(i * 37) % 101}`);
  return lines.join("\n") + "\n";
}

/** What the job writes: the total per region, sorted, with a header (Spark's CSV writer ends lines with \n). */
export function expectedCsv(rows: number): string {
  const totals = new Map<string, number>();
  for (let i = 0; i < rows; i++) {
    const r = REGIONS[i % REGIONS.length];
    totals.set(r, (totals.get(r) ?? 0) + ((i * 37) % 101));
  }
  return ["region,total", ...[...totals.keys()].sort().map((r) => `${r},${totals.get(r)}`)].join("\n") + "\n";
}

/**
 * argv: app name, input URL, output URL, executors to wait for, seconds each task sleeps (so a
 * worker can be killed mid-job), partitions. Prints one line `RESULT <json>`: the app id, the
 * driver's executors as Spark's REST API lists them (`allexecutors`: dead ones too), the job's
 * seconds (from the first read to the written output) and the schema the driver inferred.
 */
export const JOB_PY = `
import json, sys, time, urllib.request
from pyspark.sql import SparkSession

name, src, dst, want, delay, parts = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
# A notebook user's own sizing: small executors, one per worker (the machine has two shared cores).
spark = (
    SparkSession.builder.appName(name)
    .config("spark.executor.memory", "512m")
    .config("spark.executor.cores", "1")
    .config("spark.cores.max", str(want))
    # Read the small CSV in several splits, so that every executor reads the lake itself.
    .config("spark.sql.files.maxPartitionBytes", "8k")
    .getOrCreate()
)
sc = spark.sparkContext

def executors():
    # The driver's REST API, on the notebook container's own loopback (retried: on a loaded
    # machine the UI can be slow to answer).
    url = f"http://127.0.0.1:{sc.getConf().get('spark.ui.port')}/api/v1/applications/{sc.applicationId}/allexecutors"
    for attempt in range(5):
        try:
            return [e for e in json.load(urllib.request.urlopen(url, timeout=30)) if e["id"] != "driver"]
        except OSError:
            if attempt == 4:
                raise
            time.sleep(2)

deadline = time.time() + 120
while sum(1 for e in executors() if e["isActive"]) < want:
    if time.time() > deadline:
        sys.exit(f"only {len(executors())} executors registered, wanted {want}")
    time.sleep(0.5)

def slow(rows):
    time.sleep(delay)
    return rows

start = time.time()
# As a user's first cell does: the driver lists the input (a prefix or a file) and infers the schema.
df = spark.read.option("header", True).option("inferSchema", True).csv(src)
schema = df.schema.simpleString()
totals = df.rdd.repartition(parts).mapPartitions(slow).map(lambda r: (r.region, r.amount)).reduceByKey(lambda a, b: a + b, parts).collect()
out = spark.createDataFrame(sorted(totals), "region STRING, total INT").coalesce(1)
out.write.mode("overwrite").option("header", True).csv(dst)
seconds = time.time() - start
print("RESULT " + json.dumps({"app": sc.applicationId, "executors": executors(), "seconds": seconds, "schema": schema}), flush=True)
spark.stop()
`;
