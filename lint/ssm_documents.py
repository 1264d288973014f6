"""Checks SSM documents the way CloudFormation would create them, with cfn-lint.

Usage: python ssm_documents.py DOCUMENTS.json
DOCUMENTS.json maps a name to {"name", "document_type", "document_format", "content"} as the stacks
declare them. Each becomes an AWS::SSM::Document in one template: cfn-lint checks the name, type and
format against the resource's schema, and the content against its SSM document schema.
"""

import json
import os
import subprocess
import sys
import tempfile


def main(documents_path):
    with open(documents_path, encoding="utf-8") as f:
        documents = json.load(f)
    resources = {}
    for key, document in documents.items():
        properties = {
            "Content": json.loads(document["content"]),
            "DocumentType": document["document_type"],
            "DocumentFormat": document["document_format"],
        }
        if "${" not in document["name"]:
            properties["Name"] = document["name"]
        resources["".join(c for c in key if c.isalnum())] = {"Type": "AWS::SSM::Document", "Properties": properties}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}, f)
    try:
        cfn_lint = os.path.join(os.path.dirname(sys.executable), "cfn-lint")
        result = subprocess.run([cfn_lint, "--regions", "us-east-1", "--", f.name], capture_output=True, text=True)
    finally:
        os.unlink(f.name)
    sys.stdout.write(result.stdout + result.stderr)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
