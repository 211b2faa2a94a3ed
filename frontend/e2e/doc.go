// Package e2e holds the web frontend's end-to-end tests: the built page
// (frontend/dist) in a real headless Chromium, against the real command
// handler and GraphQL gateway on the local stack. They carry the build tag
// integration; run them with the stack's environment, e.g.
//
//	deploy/test-stack.sh go test -tags integration ./frontend/e2e
//
// after `npm ci && npm run build` in frontend/. Every page is checked with
// axe-core; screenshots of every page at 1280 and 390 px are left in
// frontend/e2e/artifacts/.
package e2e
