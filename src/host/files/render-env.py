#!/usr/bin/env python3
"""
Writes one env file per container (mode 0600) from /etc/app-host/secrets.json, which maps each
container's variables to Secrets Manager secrets (`<arn>[:<json-key>:<stage>:<version-id>]`, as
ECS reads them) or SSM parameters. Values are read with the instance role at every start, so no
secret is ever part of the user data, the compose file or the Terraform state.
"""

import json
import os
import subprocess
import sys

SPEC = "/etc/app-host/secrets.json"
ENV_DIR = "/etc/app-host/env"
SECRET_ARN_PARTS = 7  # arn:aws:secretsmanager:<region>:<account>:secret:<name>


def aws(*args):
    out = subprocess.run(["aws", *args, "--output", "json"], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def read(value_from):
    parts = value_from.split(":")
    if parts[2] == "ssm":
        return aws("ssm", "get-parameter", "--with-decryption", "--name", value_from)["Parameter"]["Value"]
    secret_id = ":".join(parts[:SECRET_ARN_PARTS])
    key, stage, version = (parts[SECRET_ARN_PARTS:] + ["", "", ""])[:3]
    args = ["secretsmanager", "get-secret-value", "--secret-id", secret_id]
    if stage:
        args += ["--version-stage", stage]
    if version:
        args += ["--version-id", version]
    text = aws(*args)["SecretString"]
    return str(json.loads(text)[key]) if key else text


def main():
    with open(SPEC) as f:
        spec = json.load(f)
    os.makedirs(ENV_DIR, mode=0o700, exist_ok=True)
    for container, variables in spec.items():
        lines = []
        for name, value_from in sorted(variables.items()):
            value = read(value_from)
            # Single quotes keep compose from interpolating; a quote or newline could not survive them.
            if "'" in value or "\n" in value:
                sys.exit(f"{container}: {name} holds a quote or a newline, which an env file cannot carry")
            lines.append(f"{name}='{value}'\n")
        path = os.path.join(ENV_DIR, f"{container}.env")
        fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.writelines(lines)
        os.replace(path + ".tmp", path)
        print(f"{container}: {len(lines)} secret variable(s) written")


if __name__ == "__main__":
    main()
