#!/usr/bin/env python3
"""
Runs the release's migration on this host: docker compose run of the migration's service with
its command and the release in /etc/app-host/release.env, so with the new image, the service's
settings and secrets, and its dependencies started (the database container, healthy). The deploy
script runs it before any container moves, and the containers' unit before they start at boot.
Exits non-zero, saying why and where the output is, when the command fails or outlives its limit.
"""

import json
import os
import subprocess
import sys

MIGRATION = "/etc/app-host/migrate.json"


def main():
    with open(MIGRATION) as f:
        migration = json.load(f)
    project = os.environ["APP_NAME"]
    container = f"{project}-migrate"
    service = migration["service"]
    command = ["docker", "compose", "--project-name", project, "--env-file", "/etc/app-host/release.env",
               "--file", "/etc/app-host/compose.json", "run", "--rm", "-T", "--name", container, service,
               *migration["command"]]
    logs = f"its output is above, and in the log group {migration['logGroup']}"
    try:
        code = subprocess.run(command, timeout=migration["timeoutMinutes"] * 60).returncode
    except subprocess.TimeoutExpired:
        subprocess.run(["docker", "rm", "--force", container], capture_output=True, check=False)
        print(f"migration stopped after {migration['timeoutMinutes']} minutes: the release stops here; {logs}", file=sys.stderr)
        return 1
    if code != 0:
        print(f"migration failed (exit {code}): the release stops here, no service moved; {logs}", file=sys.stderr)
        return 1
    print("migration done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
