#!/usr/bin/env bash
# Refreshes assets/ from the npm packages (pinned below): GraphiQL's UMD build
# and the React it runs on, gzipped, embedded into the gateway so GraphiQL
# loads from the gateway itself, with no CDN. Needs npm, tar and gzip.
set -euo pipefail
GRAPHIQL=3.8.3
REACT=18.3.1
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "graphiql@$GRAPHIQL" "react@$REACT" "react-dom@$REACT" >/dev/null)
for p in "graphiql-$GRAPHIQL" "react-$REACT" "react-dom-$REACT"; do
  mkdir -p "$tmp/$p" && tar -xzf "$tmp/$p.tgz" -C "$tmp/$p"
done
mkdir -p assets
rm -f assets/*.gz
gzip -9 -n -c "$tmp/graphiql-$GRAPHIQL/package/graphiql.min.js" >assets/graphiql.min.js.gz
gzip -9 -n -c "$tmp/graphiql-$GRAPHIQL/package/graphiql.min.css" >assets/graphiql.min.css.gz
gzip -9 -n -c "$tmp/react-$REACT/package/umd/react.production.min.js" >assets/react.production.min.js.gz
gzip -9 -n -c "$tmp/react-dom-$REACT/package/umd/react-dom.production.min.js" >assets/react-dom.production.min.js.gz
cp "$tmp/graphiql-$GRAPHIQL/package/LICENSE" assets/LICENSE.graphiql
cp "$tmp/react-$REACT/package/LICENSE" assets/LICENSE.react
printf 'graphiql %s, react %s, react-dom %s (npm)\n' "$GRAPHIQL" "$REACT" "$REACT" >assets/VERSIONS
