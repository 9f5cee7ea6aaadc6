#!/usr/bin/env bash
# check.sh checks that package schema is exactly what schemagen makes from
# Microsoft's published HCS reference: it regenerates the package into a
# temporary directory and allows no difference from the files in schema/ —
# none changed, none missing, none left over. make test runs it as its
# "schema regeneration" stage.
#
# The reference folder is $HCS_REFERENCE. It is not in the repository: CI
# has it beside the clone (../shared/hcs-reference). When it is absent the
# check says so and exits with 77 (not run), or fails when
# REQUIRE_ALL_CHECKS is set, as CI sets it.
set -euo pipefail
cd "$(dirname "$0")/../.."

ref=${HCS_REFERENCE:-$(cd .. && pwd)/shared/hcs-reference}
if [ ! -f "$ref/api/SchemaReference.md" ]; then
	echo "not run: Microsoft's published HCS reference is not at $ref (set HCS_REFERENCE=DIR to where it is);"
	echo "the schema tests that read it skip too"
	if [ -n "${REQUIRE_ALL_CHECKS:-}" ]; then
		echo "REQUIRE_ALL_CHECKS is set: the regeneration check must run"
		exit 1
	fi
	exit 77
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
go run ./internal/schemagen -ref "$ref" -out "$out"
status=0
if ! diff -u --label "generated files in schema/" --label "files the generator makes" \
	<(cd schema && ls -- *_gen.go *_gen_test.go) <(cd "$out" && ls); then
	status=1
fi
for f in "$out"/*; do
	name=$(basename "$f")
	if ! diff -u --label "schema/$name (committed)" --label "schema/$name (generated)" "schema/$name" "$f"; then
		status=1
	fi
done
if [ $status != 0 ]; then
	echo "package schema is not what the generator makes from $ref: run go generate ./schema"
	exit 1
fi
echo "package schema is what the generator makes from $ref"
