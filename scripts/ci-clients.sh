#!/usr/bin/env bash
# Real third-party MCP clients against the built server: the MCP Inspector CLI over stdio and HTTP,
# and the MCP conformance suite over HTTP; then the npm tarball and the MCPB bundle as users get them.
# Installs the clients into a temp prefix (never package.json).
# Needs only Node 20, npm and the npm registry. Exits non-zero on any unexpected failure.
#
# Versions: @modelcontextprotocol/inspector 1.0.3 declares node >=22.7.5, but its --cli mode runs on
# Node 20 (only the web UI needs 22); conformance 0.1.13 is the last release that runs on Node 20.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

INSPECTOR_VERSION=${INSPECTOR_VERSION:-1.0.3}
CONFORMANCE_VERSION=${CONFORMANCE_VERSION:-0.1.13}
PORT=${CI_CLIENTS_PORT:-39217}
TOOLS=${CI_CLIENTS_TOOLS:-$(mktemp -d -t blg-ci-clients-XXXXXX)}
WORK=$(mktemp -d -t blg-ci-clients-run-XXXXXX)
YOU=bluebonnetplumbing.com
COMPETITORS='["austinplumbingco.com","capitalcityplumbers.com","lonestarrooter.com"]'

passed=0
failed=0
failures=()
server_pid=""

cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

ok() { passed=$((passed + 1)); echo "  ok   $1"; }
bad() { failed=$((failed + 1)); failures+=("$1"); echo "  FAIL $1"; [ -n "${2:-}" ] && echo "$2" | head -c 2000 | sed 's/^/       /'; echo; }

echo "== installing @modelcontextprotocol/inspector@$INSPECTOR_VERSION and @modelcontextprotocol/conformance@$CONFORMANCE_VERSION into $TOOLS"
if ! npm install --prefix "$TOOLS" --no-save --no-audit --no-fund --loglevel=error \
  "@modelcontextprotocol/inspector@$INSPECTOR_VERSION" "@modelcontextprotocol/conformance@$CONFORMANCE_VERSION" >"$WORK/install.log" 2>&1; then
  cat "$WORK/install.log"
  echo "ci-clients: install failed"
  exit 1
fi
INSPECTOR="$TOOLS/node_modules/.bin/mcp-inspector"
CONFORMANCE="$TOOLS/node_modules/.bin/conformance"

if [ ! -f dist/cli.js ]; then npm run build --silent || exit 1; fi
if [ -z "${BACKLINK_GAP_DATA:-}" ] && [ ! -f data/sample/links.csv ] && [ ! -f data/sample/links.jsonl ]; then
  echo "ci-clients: the bundled sample (data/sample/links.csv) is missing and BACKLINK_GAP_DATA is unset: nothing to call the tools on."
  exit 1
fi

# npm's own cache, kept for installing the tarball's one runtime dependency (DuckDB) without a download.
NPM_CACHE=$(npm config get cache 2>/dev/null)
# Every run starts from an empty cache so nothing is answered from an earlier run.
export HOME="$WORK/home" BACKLINK_GAP_CACHE_DIR="$WORK/cache" BACKLINK_GAP_LOG_LEVEL=warn
mkdir -p "$HOME"

# check <label> <expect: ok|list> <json file>: the answer is JSON, not isError, and (list) has the core tools.
check() {
  node -e '
    const [file, expect] = process.argv.slice(1);
    const text = require("fs").readFileSync(file, "utf8");
    const start = text.indexOf("{");
    let json;
    try { json = JSON.parse(text.slice(start)); } catch { console.log("not JSON: " + text.slice(0, 500)); process.exit(1); }
    if (expect === "list") {
      const names = (json.tools || []).map((t) => t.name);
      const missing = ["backlink_gap", "get_backlinks", "link_intersect", "list_prospects", "usage"].filter((name) => !names.includes(name));
      if (missing.length > 0) { console.log("tools: " + names.sort().join(",") + "; missing " + missing.join(",")); process.exit(1); }
    } else if (json.isError) { console.log(JSON.stringify(json).slice(0, 800)); process.exit(1); }
    else if (!json.structuredContent) { console.log("no structuredContent"); process.exit(1); }
  ' "$3" "$2"
}

# inspect <label> <transport args...> -- <inspector method args...>
inspect() {
  local label=$1
  shift
  local out="$WORK/out.json"
  local expect=ok
  if printf '%s\n' "$@" | grep -qx 'tools/list'; then expect=list; fi
  if ! timeout 120 "$INSPECTOR" --cli "$@" >"$out" 2>"$WORK/err.log"; then
    bad "$label" "$(cat "$out" "$WORK/err.log")"
    return 1
  fi
  if detail=$(check "$label" "$expect" "$out"); then ok "$label"; else bad "$label" "$detail"; return 1; fi
}

run_id_of() {
  node -e 'const t=require("fs").readFileSync(process.argv[1],"utf8"); console.log(JSON.parse(t.slice(t.indexOf("{"))).structuredContent.run_id)' "$WORK/out.json"
}

# inspector_suite <name> <target args...>: list tools and call each tool on the sample data.
inspector_suite() {
  local name=$1
  shift
  echo "== MCP Inspector CLI over $name"
  inspect "$name tools/list" "$@" --method tools/list
  if inspect "$name backlink_gap" "$@" --method tools/call --tool-name backlink_gap \
    --tool-arg "your_domain=$YOU" "competitor_domains=$COMPETITORS"; then
    local run_id
    run_id=$(run_id_of)
    inspect "$name list_prospects" "$@" --method tools/call --tool-name list_prospects \
      --tool-arg "run_id=$run_id" per_page=10 'min_authority=10'
  else
    bad "$name list_prospects (no run_id from backlink_gap)"
  fi
  inspect "$name get_backlinks" "$@" --method tools/call --tool-name get_backlinks \
    --tool-arg target=austinplumbingco.com mode=one_per_domain limit=20
  inspect "$name link_intersect" "$@" --method tools/call --tool-name link_intersect \
    --tool-arg 'positive_targets=["austinplumbingco.com","capitalcityplumbers.com"]' "negative_targets=[\"$YOU\"]"
  inspect "$name usage" "$@" --method tools/call --tool-name usage
}

inspector_suite stdio node "$ROOT/dist/cli.js"

echo "== starting the HTTP server on 127.0.0.1:$PORT"
node dist/cli.js serve --http --port "$PORT" --host 127.0.0.1 2>"$WORK/server.log" &
server_pid=$!
for _ in $(seq 1 50); do
  if curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 || node -e "fetch('http://127.0.0.1:$PORT/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"; then break; fi
  sleep 0.2
done

inspector_suite http "http://127.0.0.1:$PORT/mcp" --transport http

echo "== MCP conformance suite $CONFORMANCE_VERSION over HTTP (expected failures: test/conformance/expected-failures.yaml)"
if timeout 600 "$CONFORMANCE" server --url "http://127.0.0.1:$PORT/mcp" \
  --expected-failures "$ROOT/test/conformance/expected-failures.yaml" >"$WORK/conformance.log" 2>&1; then
  ok "conformance: every scenario passes except the listed ones"
else
  bad "conformance" "$(sed -n '/=== SUMMARY ===/,$p' "$WORK/conformance.log")"
fi
sed -n '/=== SUMMARY ===/,$p' "$WORK/conformance.log" | sed 's/^/  /'

if ! kill -0 "$server_pid" 2>/dev/null; then bad "HTTP server stayed up" "$(tail -20 "$WORK/server.log")"; fi

# The npm package as a user gets it: pack (prepack builds dist/), install the tarball into an empty
# directory with no network (dist/ is a bundle; its one runtime dependency, @duckdb/node-api, comes
# from npm's cache, filled by `npm ci`), and list the tools through npx.
echo "== npm pack, install the tarball offline into an empty directory, tools/list through npx"
mkdir -p "$WORK/pack" "$WORK/installed"
if tarball=$(npm pack --silent --pack-destination "$WORK/pack" 2>"$WORK/pack.log" | tail -n 1) && [ -f "$WORK/pack/$tarball" ]; then
  ok "npm pack: $tarball ($(du -k "$WORK/pack/$tarball" | cut -f1) kB)"
  echo '{"name":"installs-backlink-gap-mcp","private":true}' >"$WORK/installed/package.json"
  if (cd "$WORK/installed" && npm install --offline ${NPM_CACHE:+--cache "$NPM_CACHE"} --no-audit --no-fund --loglevel=error "$WORK/pack/$tarball") >"$WORK/install-tarball.log" 2>&1; then
    ok "npm install --offline of the tarball into an empty directory"
    out="$WORK/out.json"
    if (cd "$WORK/installed" && timeout 120 "$INSPECTOR" --cli npx --no-install backlink-gap-mcp --method tools/list) >"$out" 2>"$WORK/err.log"; then
      if detail=$(check "npx tools/list" list "$out"); then ok "npx backlink-gap-mcp: tools/list from the installed tarball"; else bad "npx backlink-gap-mcp tools/list" "$detail"; fi
    else
      bad "npx backlink-gap-mcp tools/list" "$(cat "$out" "$WORK/err.log")"
    fi
    if help=$(cd "$WORK/installed" && npx --no-install backlink-gap-mcp --help 2>&1) && echo "$help" | grep -q 'Usage: npx backlink-gap-mcp COMMAND'; then
      ok "npx backlink-gap-mcp --help names the command as installed"
    else
      bad "npx backlink-gap-mcp --help" "$help"
    fi
  else
    bad "npm install --offline of the tarball" "$(cat "$WORK/install-tarball.log")"
  fi
else
  bad "npm pack" "$(cat "$WORK/pack.log")"
fi

# The Claude Desktop bundle: mcpb (a devDependency, so nothing is fetched) validates manifest.json,
# packs the bundle (scripts/bundle.mjs stages dist/, the sample and the manifest; no download), and
# the unpacked bundle's server lists its tools when started from another folder, as Desktop starts it.
echo "== MCPB bundle: mcpb validate, npm run bundle's packing, tools/list from the unpacked bundle"
MCPB="$ROOT/node_modules/@anthropic-ai/mcpb/dist/cli/cli.js"
if [ ! -f "$MCPB" ]; then
  bad "mcpb CLI present (npm ci installs @anthropic-ai/mcpb)"
else
  if out=$(node "$MCPB" validate manifest.json 2>&1); then ok "mcpb validate manifest.json"; else bad "mcpb validate manifest.json" "$out"; fi
  mkdir -p "$WORK/bundle"
  if out=$(node scripts/bundle.mjs "$WORK/bundle" 2>&1) && bundle_file=$(ls "$WORK/bundle"/*.mcpb 2>/dev/null | head -n 1) && [ -n "$bundle_file" ]; then
    ok "bundle packed: $(basename "$bundle_file") ($(du -k "$bundle_file" | cut -f1) kB)"
    if out=$(node "$MCPB" unpack "$bundle_file" "$WORK/unpacked" 2>&1) && out=$(node "$MCPB" validate "$WORK/unpacked/manifest.json" 2>&1); then
      ok "mcpb unpack, and mcpb validate of the packed manifest"
      out_file="$WORK/out.json"
      if (cd "$WORK" && timeout 120 "$INSPECTOR" --cli node "$WORK/unpacked/dist/cli.js" --method tools/list) >"$out_file" 2>"$WORK/err.log"; then
        if detail=$(check "bundle tools/list" list "$out_file"); then ok "unpacked bundle: tools/list"; else bad "unpacked bundle tools/list" "$detail"; fi
      else
        bad "unpacked bundle tools/list" "$(cat "$out_file" "$WORK/err.log")"
      fi
    else
      bad "mcpb unpack / validate of the packed bundle" "$out"
    fi
  else
    bad "bundle pack (node scripts/bundle.mjs)" "$out"
  fi
fi

echo
echo "== ci-clients summary: $passed passed, $failed failed"
for failure in "${failures[@]}"; do echo "   failed: $failure"; done
[ "$failed" -eq 0 ]
