# Herald's everyday commands. `make test` is the one CI runs (.ci/run).
GO ?= go
STATICCHECK_VERSION ?= v0.8.2

.PHONY: run test lint bench build

run: ## run Herald (embedded PostgreSQL unless DATABASE_URL is set)
	$(GO) run ./cmd/herald serve

build:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/herald ./cmd/herald

# The browser tests (TestBrowser_*) drive Chromium against a real Herald; they run after the
# rest, without the race detector, so they do not share two cores with the race-detecting
# packages: the detector multiplies the server's CPU several times, and the browser tests
# check what a person sees, while every server path they touch is also under the detector
# in the API and UI tests. herald-testdeps first builds the SMTP and S3 servers the tests
# start (once per version, into the user's cache), so the builds never compete with tests.
test: ## vet, then every test against a real PostgreSQL (race detector on all but the browser tests)
	$(GO) vet ./...
	$(GO) run ./cmd/herald-testdeps
	$(GO) test -race -count=1 -timeout 20m -skip '^TestBrowser' ./...
	$(GO) test -count=1 -timeout 20m -run '^TestBrowser' ./cmd/herald

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
