import { spawn } from "child_process";
import { startTestHost, asHostKey, ensureRootfs, seedUser } from "./test/support/testhost";
import { generateEd25519OpenSsh } from "./test/support/mockKeys";
import { Workspace } from "./test/support/testhost-env";
(async () => {
  const rootfs = ensureRootfs();
  const ws = new Workspace();
  const hk = generateEd25519OpenSsh();
  const host = await startTestHost({ ...asHostKey(hk), rootfs });
  try {
    const u = generateEd25519OpenSsh();
    seedUser(host, "daniel", u.publicKeyOpenssh);
    host.sh("install -m 0664 /dev/null /run/utmp; ls -la /run/utmp /var/run/utmp");
    const key = ws.file("k", u.privateKeyOpenssh);
    const kh = ws.file("kh", `[127.0.0.1]:${host.port} ${hk.publicKeyOpenssh}`);
    const base = ["-i", key, "-o", `UserKnownHostsFile=${kh}`, "-o", "BatchMode=yes", "-p", String(host.port), "daniel@127.0.0.1"];
    const a = spawn("ssh", ["-tt", ...base, "cat"], { stdio: ["pipe", "pipe", "pipe"] });
    let aout = ""; a.stdout.on("data", (d) => (aout += d));
    const b = spawn("ssh", [...base, "sleep 20"], { stdio: "ignore" });
    const c = spawn("ssh", ["-N", ...base], { stdio: "ignore" });
    await new Promise((r) => setTimeout(r, 3000));
    console.log(host.exec("who; echo ---; ps -eo pid=,ppid=,user=,args=; echo ---; ss -Htnp state established | head; echo; for t in /dev/pts/*; do stat -c '%n %X %Y' $t; done; date +%s").stdout);
    console.log(host.exec("echo hello from wall | wall; echo rc=$?").stdout);
    await new Promise((r) => setTimeout(r, 1000));
    console.log("A OUT:", JSON.stringify(aout));
    a.kill(); b.kill(); c.kill();
  } finally { await host.stop(); ws.remove(); }
})();
