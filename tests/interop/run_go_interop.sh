#!/bin/sh
# Interoperability test: a fresh Boai Ledger's checkpoints and proofs must verify
# with Go's golang.org/x/mod/sumdb/note and .../tlog (tests/interop/go_verify), and
# tampered copies must be rejected by it.
#
#   run_go_interop.sh EXPORT_FIXTURE GO_VERIFY_SRC WORK_DIR GOPATH [GO]
#
# Needs the Debian packages golang-go and golang-golang-x-mod-dev (GOPATH
# /usr/share/gocode). Exits 77 (CTest: skipped) when either is missing. Builds
# offline in GOPATH mode; the binary and Go's build cache stay under WORK_DIR.
set -u

EXPORT=$1
SRC=$2
WORK=$3
GOPATH_DIR=$4
GO=${5:-go}

if ! command -v "$GO" >/dev/null 2>&1; then
  echo "SKIPPED: no Go toolchain ('$GO'); install golang-go"
  exit 77
fi
for pkg in note tlog; do
  if [ ! -d "$GOPATH_DIR/src/golang.org/x/mod/sumdb/$pkg" ]; then
    echo "SKIPPED: $GOPATH_DIR/src/golang.org/x/mod/sumdb/$pkg is missing; install golang-golang-x-mod-dev"
    exit 77
  fi
done

failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

mkdir -p "$WORK"
FIXTURE="$WORK/fixture"
rm -rf "$FIXTURE"

echo "== building go_verify with $("$GO" version)"
(
  cd "$SRC" &&
    env GO111MODULE=off GOPATH="$GOPATH_DIR" GOCACHE="$WORK/gocache" GOENV=off GOFLAGS= \
      GOPROXY=off GOTOOLCHAIN=local CGO_ENABLED=0 \
      "$GO" build -o "$WORK/go_verify" .
) || {
  echo "FAIL: cannot build go_verify"
  exit 1
}
VERIFY="$WORK/go_verify"

echo "== exporting the fixture"
"$EXPORT" "$FIXTURE" || {
  echo "FAIL: export_fixture failed"
  exit 1
}
F=$FIXTURE
ENTRIES=$(ls "$F" | grep -c '^proof_')
ORIGIN=$(cat "$F/origin")

echo "== everything the ledger exported must verify"
# Rebuild go_verify's arguments from the fixture's list, one a line.
set --
while IFS= read -r arg; do
  set -- "$@" "$arg"
done <"$F/args"
"$VERIFY" "$@" >"$WORK/positive.out" 2>&1
rc=$?
cat "$WORK/positive.out"
if [ $rc -ne 0 ]; then
  fail "go_verify rejected the ledger's own output (exit $rc)"
fi
ok_inclusions=$(grep -c '^OK inclusion' "$WORK/positive.out")
ok_consistency=$(grep -c '^OK consistency' "$WORK/positive.out")
if [ "$ok_inclusions" -ne "$ENTRIES" ] || [ "$ENTRIES" -lt 38 ]; then
  fail "verified $ok_inclusions inclusion proofs, expected $ENTRIES (at least 38)"
fi
if [ "$ok_consistency" -lt 5 ]; then
  fail "verified only $ok_consistency consistency proofs"
fi

# expect_rejected NAME ARGS...: go_verify must exit 1 (a verification failure, not
# a usage or I/O error, which exit 2).
expect_rejected() {
  name=$1
  shift
  "$VERIFY" -vkey "$F/vkey" -origin "$ORIGIN" "$@" >"$WORK/negative.out" 2>&1
  rc=$?
  if [ $rc -eq 1 ] && grep -q '^REJECTED:' "$WORK/negative.out"; then
    echo "ok: Go rejects $name: $(grep '^REJECTED:' "$WORK/negative.out")"
  else
    cat "$WORK/negative.out"
    fail "$name: expected go_verify to reject it (exit 1), got exit $rc"
  fi
}

echo "== tampered inputs must be rejected"
# The untampered counterparts of each case verify on their own.
"$VERIFY" -vkey "$F/vkey" -origin "$ORIGIN" -checkpoint "$F/checkpoint" \
  -inclusion "$F/proof_7,$F/leaf_7" -consistency "$F/old_6,$F/consistency_6" >/dev/null 2>&1 ||
  fail "the untampered baseline (proof_7, consistency_6) does not verify"

expect_rejected "a tampered leaf" -checkpoint "$F/checkpoint" -inclusion "$F/proof_7,$F/bad_leaf"
expect_rejected "another entry's leaf" -checkpoint "$F/checkpoint" -inclusion "$F/proof_7,$F/leaf_8"
expect_rejected "a flipped bit in an inclusion proof" -checkpoint "$F/checkpoint" -inclusion "$F/bad_proof,$F/leaf_7"
expect_rejected "a proof claiming the wrong index" -checkpoint "$F/checkpoint" -inclusion "$F/bad_index,$F/leaf_7"
expect_rejected "a truncated inclusion proof" -checkpoint "$F/checkpoint" -inclusion "$F/short_proof,$F/leaf_7"
expect_rejected "an inclusion proof with an extra hash" -checkpoint "$F/checkpoint" -inclusion "$F/long_proof,$F/leaf_7"
expect_rejected "a flipped bit in a consistency proof" -checkpoint "$F/checkpoint" -consistency "$F/old_6,$F/bad_consistency_6"
expect_rejected "a consistency proof for another old size" -checkpoint "$F/checkpoint" -consistency "$F/old_15,$F/consistency_6"
expect_rejected "a checkpoint with a changed root" -checkpoint "$F/bad_checkpoint"
expect_rejected "a checkpoint as old tree with a changed root" -checkpoint "$F/checkpoint" -consistency "$F/bad_checkpoint,$F/consistency_38"
"$VERIFY" -vkey "$F/other_vkey" -checkpoint "$F/checkpoint" >"$WORK/negative.out" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -q '^REJECTED:' "$WORK/negative.out"; then
  echo "ok: Go rejects the checkpoint under another key with the same name: $(cat "$WORK/negative.out")"
else
  cat "$WORK/negative.out"
  fail "another key with the same name: expected go_verify to reject it (exit 1), got exit $rc"
fi

if [ $failures -ne 0 ]; then
  echo "$failures interop check(s) failed"
  exit 1
fi
echo "PASS: Go's sumdb/note and sumdb/tlog accept $ENTRIES tlog-proofs and $ok_consistency consistency proofs and reject every tampered input"
exit 0
