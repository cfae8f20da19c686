# Herald's everyday commands. `make test` is the one CI runs (.ci/run).
GO ?= go
STATICCHECK_VERSION ?= v0.8.2

.PHONY: run test lint bench build

run: ## run Herald (embedded PostgreSQL unless DATABASE_URL is set)
	$(GO) run ./cmd/herald serve

build:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/herald ./cmd/herald

test: ## vet, then every test with the race detector against a real PostgreSQL
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 30m ./...

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
