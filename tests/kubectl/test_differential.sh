#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The kubectl differential test: every fixture, the psa and dotnet corpora and
# generated YAML edge cases go to `kubectl create -f` (against a fake API
# server that records what kubectl posts) and to the audit's reading path
# (decode_dump); the objects must agree. See differential.py.
# Usage: test_differential.sh DECODE_DUMP [differential.py options...]
set -u
for tool in kubectl python3; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed"; exit 77; }
done
DECODE_DUMP=${1:?usage: test_differential.sh DECODE_DUMP [options...]}
shift
echo "kubectl $(kubectl version --client 2>/dev/null | head -1)"
exec python3 "$(dirname "${BASH_SOURCE[0]}")/differential.py" --decode-dump "$DECODE_DUMP" "$@"
