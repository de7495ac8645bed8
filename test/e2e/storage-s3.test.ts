/**
 * e2e: an S3 mount for real. A real S3-compatible server (s3rver, from npm) on this machine's
 * loopback; the test host (a Debian root with Debian's s3fs) runs the users step and then the
 * rendered storage step of an `ssh` target with that endpoint, exactly as bootstrapScripts gives
 * it to SshWorkbench. The unit file the step writes is run by the test host's systemctl stand-in
 * (its ExecStartPre and ExecStart lines as written). Then: a file written through the mount is in
 * the bucket and the reverse; a user not listed is refused; a container started with the apps'
 * mount settings (a dockerd in the test host's mount namespace) sees the file, and sees it again
 * after the FUSE client died and the unit remounted it (rslave propagation).
 */
import { spawn, spawnSync, ChildProcess } from "child_process";
import * as http from "http";
import { mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { bootstrapScripts } from "../../components/bootstrap";
import { containerSettings, dockerRunArgs } from "../../components/apps/containers";
import { parseWorkbenchConfig } from "../../components/config/parse";
import type { WorkbenchSpec } from "../../components/config/spec";
import { containerStorageMounts } from "../../components/storage/mounts";
import { DOCKER_CLI, Dockerd, importBusyboxImage, startDockerd } from "../support/dockerd";
import { generateEd25519OpenSsh } from "../support/mockKeys";
import { asHostKey, describeE2e, ensureRootfs, freePort, startTestHost, TestHost } from "../support/testhost";
import { USER_KEYS } from "../support/bootstrap-fixtures";
import { checked, checkedAll } from "../../components/config/checked";

const BUCKET = "lake";
// s3rver in a process of its own: the test drives the host with synchronous calls, which would
// stall a server on this process's event loop. It stops by itself after 5 minutes.
const S3RVER = `
const S3rver = require(${JSON.stringify(require.resolve("s3rver"))});
const [port, dir] = process.argv.slice(1);
new S3rver({ address: "127.0.0.1", port: Number(port), silent: true, directory: dir, configureBuckets: [{ name: "${BUCKET}" }] })
  .run().then(() => console.log("listening"));
setTimeout(() => process.exit(0), 300000).unref();
`;
const DATA = `/mnt/lake/${BUCKET}`;

function s3(method: "GET" | "PUT", port: number, key: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method, path: `/${BUCKET}/${key}`, timeout: 10000 }, (res) => {
      let text = "";
      res.on("data", (d) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describeE2e("an S3 mount on a real host (e2e)", () => {
  let host: TestHost;
  let dockerd: Dockerd | undefined;
  let server: ChildProcess;
  let s3dir: string;
  let port: number;
  let spec: WorkbenchSpec;
  const as = (user: string, cmd: string) => host.exec(`runuser -u ${user} -- sh -c '${cmd}'`);

  beforeAll(async () => {
    const rootfs = ensureRootfs();
    s3dir = mkdtempSync(join(tmpdir(), "gwb-s3rver-"));
    port = await freePort();
    server = spawn(process.execPath, ["-e", S3RVER, String(port), s3dir], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve, reject) => {
      server.stdout!.once("data", () => resolve());
      server.once("exit", (c) => reject(new Error(`s3rver exited (${c})`)));
    });
    host = await startTestHost({ ...asHostKey(generateEd25519OpenSsh()), rootfs, sharedMounts: true });
    spec = parseWorkbenchConfig({
      target: "ssh",
      ssh: { host: "127.0.0.1", port: host.port, hostPublicKey: USER_KEYS.hana },
      users: ["daniel", "minji", "alex"].map((name, i) => ({ name, sshPublicKey: USER_KEYS[name], admin: i === 0 })),
      apps: [{ kind: "jupyter" }],
      storage: [
        {
          name: "lake",
          kind: "s3",
          bucket: BUCKET,
          endpoint: `http://127.0.0.1:${port}`,
          accessKeyId: "S3RVER",
          secretAccessKey: "S3RVER",
          users: ["daniel", "minji"],
        },
      ],
    });
    const steps = bootstrapScripts(spec);
    for (const name of ["users", "storage"]) {
      const r = host.exec("bash -s", steps.find((s) => s.name === name)!.content);
      if (r.code !== 0) throw new Error(`the ${name} step failed (${r.code}):\n${r.stderr}\n${host.exec("cat /run/gwb-units/*.log").stdout}`);
    }
  }, 300000);

  afterAll(async () => {
    await dockerd?.stop();
    await host?.stop();
    server?.kill("SIGKILL");
    if (s3dir) rmSync(s3dir, { recursive: true, force: true });
  }, 60000);

  test("the step mounted the bucket through its unit, behind a gate only the group passes", () => {
    expect(host.sh(`findmnt -no FSTYPE,OPTIONS ${DATA}`).trim()).toMatch(/^fuse\.s3fs rw,.*allow_other/);
    expect(host.sh("stat -c '%U:%G %a' /mnt/lake").trim()).toBe("root:gw-mnt-lake 770");
    expect(host.sh("getent group gw-mnt-lake").trim()).toBe("gw-mnt-lake:x:70000:daniel,minji");
    expect(host.sh("stat -c '%U %a' /etc/gpu-workbench/storage/lake.passwd").trim()).toBe("root 600");
    expect(
      host.sh("systemctl is-active gpu-workbench-storage-lake.service && systemctl is-enabled gpu-workbench-storage-lake.service && echo yes").trim(),
    ).toBe("yes");
  });

  test("a file written through the mount is in the bucket, and the reverse", async () => {
    expect(as("daniel", `echo from-the-host > ${DATA}/from-host.txt`).code).toBe(0);
    // s3fs uploads on close.
    expect(await s3("GET", port, "from-host.txt")).toEqual({ status: 200, body: "from-the-host\n" });
    expect((await s3("PUT", port, "from-bucket.txt", "from-the-bucket\n")).status).toBe(200);
    expect(as("minji", `cat ${DATA}/from-bucket.txt`)).toEqual({ code: 0, stdout: "from-the-bucket\n", stderr: "" });
    expect(as("minji", `ls ${DATA}`).stdout.split("\n").filter(Boolean).sort()).toEqual(["from-bucket.txt", "from-host.txt"]);
  });

  test("a user not listed is refused, reading and writing", () => {
    expect(as("alex", `ls ${DATA}`)).toEqual({ code: 2, stdout: "", stderr: `ls: cannot access '${DATA}': Permission denied\n` });
    expect(as("alex", `cat ${DATA}/from-host.txt`)).toEqual({ code: 1, stdout: "", stderr: `cat: ${DATA}/from-host.txt: Permission denied\n` });
    expect(as("alex", `echo x > ${DATA}/x.txt`).stderr).toBe(`sh: 1: cannot create ${DATA}/x.txt: Permission denied\n`);
  });

  test("a container with the apps' mount settings sees the file, also after the client died and the unit remounted it", async () => {
    // The engine runs in the test host's mount namespace: it sees the host's files under host.root.
    dockerd = await startDockerd({ prefix: ["nsenter", `--mount=/proc/${host.pid}/ns/mnt`, "--"] });
    await importBusyboxImage(dockerd.host, "gwb-busybox:1");
    const app = spec.apps[0];
    const s = containerSettings(
      { ...app, image: checked("image", "gwb-busybox:1"), command: checkedAll("arg", ["sleep", "300"]) },
      { hostGpu: false, dataRoot: "/tmp/gwb-unused", storage: containerStorageMounts(spec) },
    );
    expect(s.mounts).toEqual([{ type: "bind", source: "/mnt/lake", target: "/mnt/lake", readOnly: false, bindOptions: { propagation: "rslave" } }]);
    expect(s.groupAdds).toEqual(["70000"]);
    // The same settings; only the bind's source is seen from outside the chroot, and the app's
    // own user is a non-root uid that is in no host group: only --group-add lets it through.
    const settings = {
      ...s,
      mounts: s.mounts.map((m) => ({ ...m, source: `${host.root}${m.source}` })),
      volumes: [],
      ports: [],
      healthcheck: undefined,
      user: "4321:4321",
    };
    const docker = (...args: string[]) => spawnSync(DOCKER_CLI, ["-H", dockerd!.host, ...args], { encoding: "utf8", timeout: 60000 });
    const started = docker(...dockerRunArgs(settings));
    expect([started.status, started.stderr]).toEqual([0, ""]);
    const read = () => docker("exec", settings.name, "cat", `${DATA}/from-host.txt`);
    expect([read().status, read().stdout]).toEqual([0, "from-the-host\n"]);

    // Without the group the same user is refused: the gate holds in the container too.
    const outsider = docker(
      "run",
      "--rm",
      "--user",
      "4321:4321",
      "--mount",
      `type=bind,source=${host.root}/mnt/lake,target=/mnt/lake,bind-propagation=rslave`,
      "gwb-busybox:1",
      "ls",
      DATA,
    );
    expect([outsider.status, outsider.stderr.trim()]).toEqual([1, `ls: ${DATA}: Permission denied`]);

    // The FUSE client dies: the mount is dead everywhere; systemd would restart the unit.
    host.sh("kill -9 $(cat /run/gwb-units/gpu-workbench-storage-lake.service.pid)");
    await new Promise((r) => setTimeout(r, 500));
    const dead = read();
    expect(dead.status).not.toBe(0);
    expect(dead.stderr).toContain("Transport endpoint is not connected");
    host.sh("systemctl restart gpu-workbench-storage-lake.service");
    for (let i = 0; i < 50 && host.exec(`mountpoint -q ${DATA}`).code !== 0; i++) await new Promise((r) => setTimeout(r, 100));
    // The remount inside the bound gate reached the running container.
    expect([read().status, read().stdout]).toEqual([0, "from-the-host\n"]);
    docker("rm", "-f", settings.name);
  }, 180000);
});
