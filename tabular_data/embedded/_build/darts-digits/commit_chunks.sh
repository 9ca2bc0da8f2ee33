#!/bin/bash
# Commit the finished chunk files (and each part's config.json) of this folder, only those paths,
# every ${EVERY:-600} seconds until run.sh has stopped (LOOP=0: once). Never touches other files.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../../../.."
rel="${here#$(pwd)/}"
commit_once() {
    local new
    new=$(git ls-files --others --exclude-standard -- "$rel"/*/chunk-*.npz "$rel"/*/config.json 2>/dev/null)
    [ -z "$new" ] && return 0
    local n; n=$(echo "$new" | wc -l)
    git add -- $new && git commit -q -m "darts/digits generation: $n finished chunk files" -- $new \
        && echo "$(date -u +%FT%TZ) committed $n files"
}
commit_once
alive() { [ -f "$here/run.pid" ] && kill -0 "$(cat "$here/run.pid")" 2> /dev/null; }
while [ "${LOOP:-1}" = 1 ] && alive; do
    sleep "${EVERY:-600}"
    commit_once
done
commit_once
