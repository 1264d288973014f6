#!/usr/bin/env python3
"""
Checks the application on this host (run by a systemd timer every minute): every container must
be running, and healthy where it has a health check; every web service must answer its health
path. Publishes the result as JSON to an SSM parameter (read it with the command in the stack's
outputs), the number of failing containers as a metric the stack alarms on, and a log line.
"""

import datetime
import json
import os
import subprocess
import sys
import urllib.request

CHECKS = "/etc/app-host/health-checks.json"
LOG = "/var/log/app-host/health.log"


def run(*args):
    return subprocess.run(list(args), check=True, capture_output=True, text=True).stdout


def imds(path):
    token_request = urllib.request.Request(
        "http://169.254.169.254/latest/api/token",
        method="PUT",
        headers={"X-aws-ec2-metadata-token-ttl-seconds": "60"},
    )
    token = urllib.request.urlopen(token_request, timeout=2).read().decode()
    request = urllib.request.Request(f"http://169.254.169.254/latest/meta-data/{path}", headers={"X-aws-ec2-metadata-token": token})
    return urllib.request.urlopen(request, timeout=2).read().decode()


def containers(project):
    out = run("docker", "compose", "--project-name", project, "--env-file", "/etc/app-host/release.env", "--file", "/etc/app-host/compose.json", "ps", "--all", "--format", "json")
    rows = [json.loads(line) for line in out.splitlines() if line.strip()]
    return {row["Service"]: row for row in rows}


def web_check(project, service, port, path):
    ip = run("docker", "inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}", f"{project}-{service}-1").split()
    if not ip:
        return "no address"
    try:
        with urllib.request.urlopen(f"http://{ip[0]}:{port}{path}", timeout=5) as response:
            return None if response.status < 400 else f"HTTP {response.status}"
    except Exception as error:  # any failure to answer is a failed check
        return str(error)


def main():
    project = os.environ["APP_NAME"]
    with open(CHECKS) as f:
        checks = json.load(f)
    problems = {}
    states = {}
    try:
        running = containers(project)
    except subprocess.CalledProcessError as error:
        running = {}
        problems["docker"] = error.stderr.strip() or "docker compose ps failed"
    for check in checks:
        name = check["service"]
        row = running.get(name)
        if row is None:
            problems[name] = "no container"
            continue
        states[name] = row.get("State", "") + (f" ({row['Health']})" if row.get("Health") else "")
        if row.get("State") != "running":
            problems[name] = row.get("State", "unknown")
        elif row.get("Health") not in ("", None, "healthy"):
            problems[name] = row["Health"]
        elif "port" in check:
            failure = web_check(project, name, check["port"], check["path"])
            if failure:
                problems[name] = f"{check['path']}: {failure}"
    report = {
        "status": "healthy" if not problems else "unhealthy",
        "checkedAt": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "containers": states,
        "problems": problems,
    }
    text = json.dumps(report, sort_keys=True)
    os.makedirs(os.path.dirname(LOG), exist_ok=True)
    with open(LOG, "a") as f:
        f.write(text + "\n")
    region = os.environ["APP_REGION"]
    run("aws", "ssm", "put-parameter", "--region", region, "--overwrite", "--type", "String",
        "--name", os.environ["APP_HEALTH_PARAMETER"], "--value", text)
    run("aws", "cloudwatch", "put-metric-data", "--region", region, "--namespace", os.environ["APP_METRIC_NAMESPACE"],
        "--metric-name", "UnhealthyContainers", "--unit", "Count", "--value", str(len(problems)),
        "--dimensions", f"InstanceId={imds('instance-id')}")
    print(text)
    # A failing status fails a deploy that waits on this check.
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
