#!/usr/bin/env python3
"""
Runs one scheduled job on this host (started by its systemd timer): docker compose run of the
job's service with the job's command, so it has the service's image, settings and secrets; up to
`retries` more attempts after one that exits non-zero; then a log line and the JobFailures metric
(1 failed, 0 succeeded) the stack alarms on. A run systemd stops at its time limit (SIGTERM)
removes its container and reports a failure too.
"""

import datetime
import json
import os
import signal
import subprocess
import sys
import time

JOBS = "/etc/app-host/jobs.json"
LOG = "/var/log/app-host/jobs.log"
RETRY_PAUSE_SECONDS = 30


def compose(project, *args):
    return ["docker", "compose", "--project-name", project, "--env-file", "/etc/app-host/release.env",
            "--file", "/etc/app-host/compose.json", *args]


def report(name, attempts, outcome):
    line = json.dumps({"job": name, "outcome": outcome, "attempts": attempts,
                       "at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")})
    os.makedirs(os.path.dirname(LOG), exist_ok=True)
    with open(LOG, "a") as f:
        f.write(line + "\n")
    print(line)
    subprocess.run(["aws", "cloudwatch", "put-metric-data", "--region", os.environ["APP_REGION"],
                    "--namespace", os.environ["APP_METRIC_NAMESPACE"], "--metric-name", "JobFailures",
                    "--unit", "Count", "--value", "0" if outcome == "succeeded" else "1",
                    "--dimensions", f"Job={name}"], check=False)


def main():
    name = sys.argv[1]
    with open(JOBS) as f:
        job = json.load(f)[name]
    project = os.environ["APP_NAME"]
    container = f"{project}-job-{name}"
    attempts = 0

    def stopped(signum, frame):
        subprocess.run(["docker", "rm", "--force", container], capture_output=True, check=False)
        report(name, attempts, "stopped at its time limit")
        sys.exit(1)

    signal.signal(signal.SIGTERM, stopped)
    for attempt in range(1, job["retries"] + 2):
        attempts = attempt
        code = subprocess.run(compose(project, "run", "--rm", "--no-deps", "-T", "--name", container,
                                      job["service"], *job["command"])).returncode
        if code == 0:
            report(name, attempts, "succeeded")
            return 0
        print(f"job {name}: attempt {attempt} exited with {code}", file=sys.stderr)
        if attempt <= job["retries"]:
            time.sleep(RETRY_PAUSE_SECONDS)
    report(name, attempts, f"failed: exit {code}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
