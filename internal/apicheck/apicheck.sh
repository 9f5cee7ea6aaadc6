#!/usr/bin/env bash
# apicheck prints every change to the exported API of the module's public
# packages (internal ones excluded) since a base commit, so that each one is
# seen in review. make test runs it as its "exported API" stage:
#
#	internal/apicheck/apicheck.sh APIDIFF
#
# APIDIFF is golang.org/x/exp/cmd/apidiff, which make installs at the
# version it pins. The base is $API_BASE when set; else, on a branch, the
# commit where it left main (main or origin/main); else, on main itself,
# the previous commit. The new side is the working tree, uncommitted
# changes included.
#
# Exit status: 0 when the comparison ran (compatible and incompatible
# changes alike are printed); 1 when it failed, or when a change is
# incompatible and the base already has a release tag v1 or later (Go's
# compatibility promise: after v1, breaking the API needs a new major
# version); 77 when it could not run here — no git history to compare
# with. That is not a failure even with REQUIRE_ALL_CHECKS: api.txt, which
# the "go generate + diff" stage checks on every clone, already shows each
# API change; apidiff only adds the compatible/incompatible verdict.
set -euo pipefail
apidiff=${1:?usage: apicheck.sh APIDIFF}
case $apidiff in
*/*) apidiff=$(cd "$(dirname "$apidiff")" && pwd)/$(basename "$apidiff") ;;
esac
cd "$(dirname "$0")/../.."

module=$(go list -m)
work=.build/apicheck

not_run() {
	echo "not run: $1 (internal/apicheck/api.txt still records every API change)"
	exit 77
}

git rev-parse -q --verify HEAD >/dev/null || not_run "not a git checkout with commits"
head=$(git rev-parse HEAD)
base=${API_BASE:-}
if [ -z "$base" ]; then
	for ref in main origin/main; do
		if git rev-parse -q --verify "$ref^{commit}" >/dev/null; then
			mb=$(git merge-base HEAD "$ref" || true)
			if [ -n "$mb" ] && [ "$mb" != "$head" ]; then
				base=$mb
			fi
			break
		fi
	done
fi
if [ -z "$base" ]; then
	git rev-parse -q --verify "HEAD~1^{commit}" >/dev/null ||
		not_run "no previous commit to compare with (a shallow clone? fetch the history, or set API_BASE)"
	base=HEAD~1
fi
base=$(git rev-parse --verify "$base^{commit}")
echo "exported API of $module: working tree compared with $(git log -1 --format='%h (%s)' "$base")"

# run_apidiff runs apidiff without its notes about skipping internal
# packages, which it prints for every one.
run_apidiff() {
	local err
	err=$(mktemp)
	if ! "$apidiff" "$@" 2>"$err"; then
		cat "$err" >&2
		rm -f "$err"
		return 1
	fi
	grep -v '^Ignoring internal package ' "$err" >&2 || true
	rm -f "$err"
}

rm -rf "$work"
mkdir -p "$work/base"
git archive "$base" | tar -x -C "$work/base"
# Only the API matters: build for the machine, whatever GOOS says.
export GOOS= GOARCH= GOFLAGS=-mod=readonly
(cd "$work/base" && run_apidiff -m -w ../base.api "$module")
run_apidiff -m -w "$work/head.api" "$module"
run_apidiff -m "$work/base.api" "$work/head.api" >"$work/report"
cat "$work/report"
rm -rf "$work/base"

if ! grep -q '^Incompatible changes:' "$work/report"; then
	[ -s "$work/report" ] || echo "no change"
	exit 0
fi
released=$(git tag --merged "$base" --list 'v[1-9]*' | head -1)
if [ -n "$released" ]; then
	echo "incompatible changes after $released: the module's API is frozen (a new major version is needed)"
	exit 1
fi
echo "incompatible changes are allowed before v1 (no v1 or later tag is an ancestor of the base); they are listed for review"
