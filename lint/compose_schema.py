"""Checks compose files against the Compose specification's JSON schema.

Usage: python compose_schema.py SCHEMA FILE...
The schema is compose-spec.json of the compose-go module that the host's docker compose is built
with; compose-go 2.4.x writes Draft 7, later versions Draft 2020-12. compose-go checks "duration"
values with Go's time.ParseDuration, matched here by its grammar.
"""

import json
import re
import sys

import jsonschema
from jsonschema import FormatChecker

GO_DURATION = re.compile(r"^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$|^[-+]?0$")
formats = FormatChecker()


@formats.checks("duration", raises=ValueError)
def _duration(value):
    if isinstance(value, str) and not GO_DURATION.match(value):
        raise ValueError(f"{value!r} is not a Go duration")
    return True


def main(schema_path, files):
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    # compose-go 2.4.x names its draft without the "#" validator_for expects.
    if "draft-07" in schema.get("$schema", ""):
        validator_class = jsonschema.Draft7Validator
    else:
        validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema, format_checker=formats)
    failed = False
    for path in files:
        with open(path, encoding="utf-8") as f:
            errors = sorted(validator.iter_errors(json.load(f)), key=lambda e: list(e.absolute_path))
        for error in errors:
            failed = True
            location = ".".join(str(part) for part in error.absolute_path) or "(top level)"
            print(f"{path}: {location}: {error.message}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
