/**
 * kaggle-rstudio's start script (components/apps/dockerfiles/kaggle-rstudio/start-rstudio.sh),
 * for real: shellcheck, then run as root in a private mount namespace (an overlay on /etc, a
 * tmpfs on /home) with this machine's useradd, chpasswd and libxcrypt, and a stand-in rserver
 * that prints what it was started with. It checks: the accounts, a home kept on the data disk
 * keeping its uid, new users never taking a former user's uid, the passwords working (crypt of
 * the password against /etc/shadow) and a wrong one not, the hash list not reaching rserver, the
 * environment handed to R sessions, and a restart changing nothing.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SHIPPED_DOCKERFILES_DIR } from "../../components/apps/imageBuild";

const SCRIPT = path.join(SHIPPED_DOCKERFILES_DIR, "kaggle-rstudio", "start-rstudio.sh");

test("start-rstudio.sh passes shellcheck", () => {
  const r = spawnSync("shellcheck", [SCRIPT], { encoding: "utf8" });
  expect(r.stdout + r.stderr).toBe("");
  expect(r.status).toBe(0);
});

function canIsolate(): boolean {
  const ok = process.getuid?.() === 0 && spawnSync("unshare", ["-m", "sh", "-c", "mount -t tmpfs t /mnt"], { stdio: "ignore" }).status === 0;
  if (!ok && process.env.CI === "true") throw new Error("the start-rstudio test needs root and unshare -m under CI=true");
  if (!ok) console.warn("SKIPPED: the start-rstudio test needs root and mount namespaces (unshare -m)");
  return ok;
}

(canIsolate() ? describe : describe.skip)("start-rstudio.sh, for real in a private mount namespace", () => {
  let dir = "";
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gwb-rstudio-start-"));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  // bcrypt hashes as random.RandomPassword makes them ($2a$, cost 10), of known passwords.
  const hash = (password: string, salt: string) =>
    spawnSync("perl", ["-e", "print crypt($ARGV[0], $ARGV[1])", password, `$2a$10$${salt}`], { encoding: "utf8" }).stdout;

  test("creates the team's accounts, keeps kept homes' uids, sets the passwords, hands R the environment, starts rserver", () => {
    const daniel = hash("daniel-pw-0123456789", "abcdefghijklmnopqrstuu");
    const minji = hash("minji-pw-0123456789", "uutsrqponmlkjihgfedcba");
    expect(daniel).toMatch(/^\$2a\$10\$[./A-Za-z0-9]{53}$/);
    const harness = path.join(dir, "harness.sh");
    fs.writeFileSync(
      harness,
      `#!/bin/bash
set -e
mkdir -p ${dir}/upper ${dir}/work ${dir}/retc
mount -t overlay overlay -o lowerdir=/etc,upperdir=${dir}/upper,workdir=${dir}/work /etc
mount -t tmpfs tmpfs /home
# From the data disk: minji's home from an earlier container (uid 1500), a former user's (uid 1700).
mkdir /home/minji /home/former
echo kept > /home/minji/analysis.R
chown -R 1500:1500 /home/minji
chown 1700:1700 /home/former
echo 'R_LIBS_SITE="/usr/local/lib/R/site-library"' > ${dir}/retc/Renviron.site.image
printf '#!/bin/bash\\necho "rserver $*"\\necho "users env: \${GPU_WORKBENCH_USERS:-unset}"\\n' > ${dir}/rserver
chmod 0755 ${dir}/rserver
export GPU_WORKBENCH_R_ETC=${dir}/retc GPU_WORKBENCH_RSERVER=${dir}/rserver
export LD_LIBRARY_PATH=/usr/local/cuda/lib64 CUDA_HOME=/usr/local/cuda QUOTED="it's" NVIDIA_VISIBLE_DEVICES=all
run() { GPU_WORKBENCH_USERS='daniel:${daniel} minji:${minji}' bash ${SCRIPT}; }
state() {
  for u in daniel minji; do echo "$(getent passwd $u | cut -d: -f1,3,6,7) home-owner=$(stat -c %u /home/$u)"; done
  echo "minji's file: $(cat /home/minji/analysis.R)"
  perl -e 'for my $p (["daniel","daniel-pw-0123456789"],["minji","minji-pw-0123456789"],["minji","daniel-pw-0123456789"]) { my $h = (getpwnam($p->[0]))[1]; print "$p->[0] with $p->[1]: ", (crypt($p->[1], $h) eq $h ? "accepted" : "refused"), "\\n" }'
}
run
state
grep -E '^(R_LIBS_SITE|LD_LIBRARY_PATH|CUDA_HOME|NVIDIA_VISIBLE_DEVICES|QUOTED|HOME|GPU_WORKBENCH_USERS|GPU_WORKBENCH_RSERVER)=' ${dir}/retc/Renviron.site | sort
echo "== restart"
run
state
echo "== no users"
GPU_WORKBENCH_USERS= bash ${SCRIPT} || echo "exit $?"
echo "== not a hash"
GPU_WORKBENCH_USERS='daniel:plain-password' bash ${SCRIPT} || echo "exit $?"
`,
    );
    const r = spawnSync("unshare", ["-m", "bash", harness], { encoding: "utf8" });
    const accounts = [
      "daniel:1701:/home/daniel:/bin/bash home-owner=1701",
      "minji:1500:/home/minji:/bin/bash home-owner=1500",
      "minji's file: kept",
      "daniel with daniel-pw-0123456789: accepted",
      "minji with minji-pw-0123456789: accepted",
      "minji with daniel-pw-0123456789: refused",
    ];
    const started = ["rserver --server-daemonize=0 --rsession-ld-library-path=/usr/local/cuda/lib64", "users env: unset"];
    expect(r.stdout).toBe(
      [
        ...started,
        ...accounts,
        "CUDA_HOME='/usr/local/cuda'",
        "GPU_WORKBENCH_RSERVER='" + `${dir}/rserver'`,
        "LD_LIBRARY_PATH='/usr/local/cuda/lib64'",
        "NVIDIA_VISIBLE_DEVICES='all'",
        'R_LIBS_SITE="/usr/local/lib/R/site-library"',
        "== restart",
        ...started,
        ...accounts,
        "== no users",
        "exit 1",
        "== not a hash",
        "exit 1",
        "",
      ].join("\n"),
    );
    expect(r.stderr).toBe(
      [
        "gpu-workbench-rstudio: GPU_WORKBENCH_USERS is empty: no one could sign in",
        "gpu-workbench-rstudio: the entry for daniel is not a bcrypt hash",
        "",
      ].join("\n"),
    );
  });
});
