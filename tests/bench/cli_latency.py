#!/usr/bin/env python3
"""Latency of the real `samrad` commands against a real local relay, with the
agent unlocked and without it, side by side in one run (issue 19, item 6).

Sets up a PKI (certs/samrad-pki.sh), a signed key directory, a samrad-relay on
127.0.0.1 (port 0, its store in WORK) and profiles for a professional and an
adviser, like tests/client/cli_relay_fixture.h. Then, ROUNDS times, in each of
the two modes (agent: `samrad unlock` for both people and no passphrase file
at all; passphrase: no agent, the passphrase read from a file, one Argon2id
run per command), it times whole processes from start to exit:

  help      samrad --help                      (the floor: process start)
  ask       professional asks a new question
  queue     adviser lists the queue            (opens no keystore)
  claim     adviser claims it                  (not a target)
  show      adviser reads it
  answer    adviser answers it
  cases     professional lists her cases
  followup  professional writes a follow-up

and prints, per command and mode, the elapsed p50 and p90, the p50 as a
ratio of the `--help` p50, and the CPU time (user+sys of all its threads)
p50, which a loaded machine inflates much less than elapsed time. A
benchmark, not a test: it asserts nothing.

  tests/bench/cli_latency.py [--rounds 10] [--work DIR] [--build build]
"""
import argparse
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COMMANDS = ["help", "ask", "queue", "claim", "show", "answer", "cases", "followup"]
TARGET_MS = {"queue": 150, "show": 150, "cases": 150, "answer": 150, "followup": 150,
             "ask": 300}
QUESTION = ("En elev i årskurs 8 berättar att familjen planerar en resa i sommar och att hon "
            "är orolig för att inte få komma tillbaka. Hur kan skolan gå vidare?\n")


def run(argv, env, stdin_text=None, check=True):
    r = subprocess.run(argv, env=env, input=stdin_text, capture_output=True, text=True,
                       timeout=120)
    if check and r.returncode != 0:
        sys.exit(f"failed ({r.returncode}): {' '.join(argv)}\n{r.stderr}")
    return r


def children_cpu_ms():
    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (u.ru_utime + u.ru_stime) * 1000.0


def timed(argv, env, stdin_text=None):
    """Elapsed and CPU (user+sys, all threads) milliseconds of one process."""
    cpu = children_cpu_ms()
    start = time.perf_counter()
    r = run(argv, env, stdin_text)
    return ((time.perf_counter() - start) * 1000.0, children_cpu_ms() - cpu), r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--work", default="")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    args = ap.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="samrad-cli-latency-")
    os.makedirs(work, exist_ok=True)
    samrad = os.path.join(args.build, "client", "samrad")
    relay_bin = os.path.join(args.build, "server", "samrad-relay")
    pki_sh = os.path.join(ROOT, "certs", "samrad-pki.sh")
    pki = os.path.join(work, "pki")
    runtime = os.path.join(work, "run")
    os.makedirs(runtime, mode=0o700, exist_ok=True)
    os.chmod(runtime, 0o700)

    def pki_cmd(*a):
        run(["/bin/bash", pki_sh, "--dir", pki, *a], dict(os.environ))

    if not os.path.exists(os.path.join(pki, "ca.crt")):
        pki_cmd("init")
        pki_cmd("server", "relay", "--ip", "127.0.0.1", "--dns", "localhost")
        pki_cmd("client", "admin", "national", "ops-1")
        pki_cmd("client", "adviser", "rc-kronoberg", "a-1")
        pki_cmd("client", "professional", "07", "p-1")
    for who in ("admin", "adviser", "pro", "dir"):
        path = os.path.join(work, who + ".pass")
        with open(os.path.join(work, who + ".pass"), "w") as f:
            f.write(f"passphrase of {who}\n")
        os.chmod(path, 0o600)

    def env_for(who, passphrase=True):
        env = dict(os.environ)
        env.update({"SAMRAD_CONFIG": os.path.join(work, who + ".conf"),
                    "SAMRAD_PASSPHRASE_FILE": os.path.join(work, who + ".pass"),
                    "SAMRAD_DIRECTORY_PASSPHRASE_FILE": os.path.join(work, "dir.pass"),
                    "SAMRAD_ADMIN_DIR": os.path.join(work, "dir"),
                    "XDG_RUNTIME_DIR": runtime, "LANG": "C.UTF-8", "HOME": work})
        env.pop("LC_ALL", None)
        if not passphrase:
            env["SAMRAD_PASSPHRASE_FILE"] = os.path.join(work, "no-such.pass")
        return env

    fresh = not os.path.exists(os.path.join(work, "adviser.bundle.json"))
    if not os.path.exists(os.path.join(work, "dir")):
        run([samrad, "admin", "directory", "init", "--out", os.path.join(work, "dir"),
             "--routing", os.path.join(ROOT, "deploy", "routing.textproto")], env_for("admin"))
    data = os.path.join(work, "relay-data")
    os.makedirs(data, exist_ok=True)
    kek = os.path.join(work, "kek.hex")
    with open(kek, "w") as f:
        f.write("b" * 64 + "\n")
    os.chmod(kek, 0o600)
    config = os.path.join(work, "relay.textproto")
    with open(config, "w") as f:
        f.write(f'listen_address: "127.0.0.1:0"\n'
                f'tls {{ cert_file: "{pki}/relay.crt" key_file: "{pki}/relay.key" '
                f'client_ca_file: "{pki}/ca.crt" }}\n'
                f'data_dir: "{data}"\nkek_file: "{kek}"\n'
                f'directory_public_key_file: "{work}/dir/directory.pub"\n'
                f'limits {{ rate_per_second: 1000000 rate_burst: 1000000 }}\n'
                f'retention {{ sweeper_disabled: true }}\n')
    log_path = os.path.join(work, "relay.log")
    log = open(log_path, "w")
    relay = subprocess.Popen([relay_bin, "serve", "--config", config], stdout=log, stderr=log)
    port = ""
    try:
        for _ in range(600):
            m = re.search(r" port=([0-9]+)", open(log_path).read())
            if m:
                port = m.group(1)
                break
            if relay.poll() is not None:
                sys.exit("relay exited:\n" + open(log_path).read())
            time.sleep(0.05)
        if not port:
            sys.exit("relay did not start")

        def init(who, cert, extra):
            run([samrad, "init", "--relay", "127.0.0.1:" + port,
                 "--cert", f"{pki}/{cert}.crt", "--key", f"{pki}/{cert}.key",
                 "--ca", f"{pki}/ca.crt", "--directory-key", f"{work}/dir/directory.pub",
                 "--keystore", os.path.join(work, who + ".keystore"), "--force", *extra],
                env_for(who))

        init("admin", "admin-national-ops-1", [])
        init("adviser", "adviser-rc-kronoberg-a-1", ["--adviser-id", "a-1"])
        init("pro", "professional-07-p-1", [])
        if fresh:
            bundle = os.path.join(work, "adviser.bundle.json")
            run([samrad, "keygen", "--out", bundle], env_for("adviser"))
            run([samrad, "admin", "directory", "add-adviser", "rc-kronoberg", bundle],
                env_for("admin"))
            run([samrad, "admin", "directory", "sign"], env_for("admin"))
        run([samrad, "admin", "directory", "publish"], env_for("admin"))
        answer_file = os.path.join(work, "answer.txt")
        with open(answer_file, "w") as f:
            f.write("Kontakta gärna oss igen. Tänk på att inte lova eleven tystnad.\n")
        followup_file = os.path.join(work, "followup.txt")
        with open(followup_file, "w") as f:
            f.write("Tack. Vi har pratat med elevhälsan och återkommer.\n")

        times = {mode: {c: [] for c in COMMANDS} for mode in ("agent", "passphrase")}
        agents = []
        for rnd in range(args.rounds):
            for mode in ("agent", "passphrase"):
                with_agent = mode == "agent"
                for who in ("adviser", "pro"):
                    if with_agent:
                        r = run([samrad, "unlock", "--json"], env_for(who))
                        agents.append(int(re.search(r'"pid":([0-9]+)', r.stdout).group(1)))
                    else:
                        run([samrad, "lock"], env_for(who))
                pro = env_for("pro", not with_agent)
                adviser = env_for("adviser", not with_agent)
                t = times[mode]
                ms, _ = timed([samrad, "--help"], pro)
                t["help"].append(ms)
                ms, r = timed([samrad, "ask", "--county", "07", "--category", "forced-marriage",
                               "--urgency", "normal", "--org", "school", "--age", "child",
                               "--json"], pro, QUESTION)
                t["ask"].append(ms)
                ref = re.search(r'"reference":"([0-9a-f]{32})"', r.stdout).group(1)
                for name, argv, env in (
                        ("queue", ["queue"], adviser),
                        ("claim", ["claim", ref], adviser),
                        ("show", ["show", ref], adviser),
                        ("answer", ["answer", ref, "--file", answer_file], adviser),
                        ("cases", ["cases"], pro),
                        ("followup", ["followup", ref, "--file", followup_file], pro)):
                    ms, _ = timed([samrad, *argv], env)
                    t[name].append(ms)
            print(f"round {rnd + 1}/{args.rounds} done", file=sys.stderr)
        for who in ("adviser", "pro"):
            run([samrad, "lock"], env_for(who), check=False)
    finally:
        relay.send_signal(signal.SIGTERM)
        try:
            relay.wait(timeout=30)
        except subprocess.TimeoutExpired:
            relay.kill()
        for pid in locals().get("agents", []):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def pct(values, q):
        s = sorted(values)
        return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]

    def wall(mode, c):
        return [w for w, _ in times[mode][c]]

    def cpu(mode, c):
        return [u for _, u in times[mode][c]]

    floor = statistics.median(wall("agent", "help") + wall("passphrase", "help"))
    floor_cpu = statistics.median(cpu("agent", "help") + cpu("passphrase", "help"))
    print(f"\n{args.rounds} rounds; `samrad --help` p50 {floor:.1f} ms elapsed, "
          f"{floor_cpu:.1f} ms CPU (the floor); load average {os.getloadavg()[0]:.1f}\n")
    print("| command | agent p50 ms | p90 | p50 / floor | CPU p50 ms | target p50 | met? "
          "| no agent p50 ms | p90 | p50 / floor | CPU p50 ms |")
    print("|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|")
    for c in COMMANDS:
        a, p = wall("agent", c), wall("passphrase", c)
        target = TARGET_MS.get(c)
        met = "" if target is None else ("yes" if statistics.median(a) <= target else "**no**")
        print(f"| `{c}` | {statistics.median(a):.0f} | {pct(a, 0.9):.0f} | "
              f"{statistics.median(a) / floor:.1f} | {statistics.median(cpu('agent', c)):.0f} | "
              f"{target or ''} | {met} | {statistics.median(p):.0f} | {pct(p, 0.9):.0f} | "
              f"{statistics.median(p) / floor:.1f} | "
              f"{statistics.median(cpu('passphrase', c)):.0f} |")
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
